// Deterministic stand-ins for timers, storage, sockets and the REST API, for unit tests.

import type { Timers, WebSocketLike } from '../lib/realtime';
import type { KeyValueStorage } from '../lib/session';
import type { Message } from '../lib/types';

/** Lets pending promise callbacks run. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export class FakeTimers implements Timers {
  now = 1_700_000_000_000;
  private seq = 0;
  private tasks = new Map<number, { at: number; fn: () => void }>();

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.tasks.set(id, { at: this.now + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (h: unknown): void => {
    this.tasks.delete(h as number);
  };

  get pending(): number {
    return this.tasks.size;
  }

  /** The delay until the next task, or null. */
  nextDelay(): number | null {
    let min: number | null = null;
    for (const t of this.tasks.values()) if (min === null || t.at < min) min = t.at;
    return min === null ? null : min - this.now;
  }

  /** Moves the clock forward, running every task that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.tasks) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.tasks.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
    await flush();
  }
}

export class MemoryStorage implements KeyValueStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.has(k) ? this.map.get(k)! : null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: Record<string, unknown>[] = [];
  closed: number | null = null;
  /** Answer app-level pings like the server does. */
  autoPong = false;
  constructor(public url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    const frame = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(frame);
    if (this.autoPong && frame.type === 'ping') queueMicrotask(() => this.receive({ type: 'pong', id: frame.id }));
  }
  close(code = 1000): void {
    this.closed = code;
    this.readyState = 3;
  }
  /** The server accepted the upgrade and greets. */
  open(userId = 'u1'): void {
    this.readyState = 1;
    this.onopen?.({});
    this.receive({ type: 'hello', data: { protocol: 2, user_id: userId, connection_id: 1 } });
  }
  /** One server frame; several messages go in one frame, one per line, as protocol 2 batches them. */
  receive(...frames: unknown[]): void {
    this.onmessage?.({ data: frames.map((f) => JSON.stringify(f)).join('\n') });
  }
  /** The server (or the network) closed the connection. */
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  last(type: string): Record<string, unknown> | undefined {
    return [...this.sent].reverse().find((f) => f.type === type);
  }
}

export function msg(seq: number, patch: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    chat_id: 'c1',
    seq,
    sender_id: 'u2',
    client_id: `k${seq}`,
    body: `message ${seq}`,
    attachments: [],
    reply_to: null,
    mentions: [],
    created_at: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    edited_at: null,
    deleted: false,
    ...patch,
  };
}

/** A JWT-shaped token whose payload says when it expires. */
export function fakeJwt(expMs: number, sub = 'u1'): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'EdDSA' })}.${b64({ sub, exp: Math.floor(expMs / 1000) })}.sig`;
}
