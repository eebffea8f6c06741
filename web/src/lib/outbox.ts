// Messages the user wrote that the server has not stored yet. Each keeps the `client_id`
// it was created with for every attempt, so the server stores it once however often it
// is retried (after a timeout, a lost connection, a reload). Sent over the socket when it
// is open, otherwise over REST (both idempotent on client_id). Kept in storage so that a
// reload does not lose them.

import { ApiError, NetworkError } from './api';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { DisconnectedError, FrameError, realTimers, type Timers } from './realtime';
import type { KeyValueStorage } from './session';
import type { Attachment, Message } from './types';

export interface OutboxItem {
  client_id: string;
  chat_id: string;
  sender_id: string;
  body: string;
  reply_to: string | null;
  mentions: string[];
  attachments: Attachment[];
  created_at: string;
  attempts: number;
  status: 'sending' | 'accepted' | 'failed';
  error?: string;
}

export interface StoredAck {
  message_id: string;
  seq: number;
  created_at?: string;
}

export interface OutboxTransport {
  /** Over the socket; null when it is not open. Calls `accepted` on the first ack. */
  viaSocket(item: OutboxItem, accepted: () => void): Promise<StoredAck> | null;
  viaRest(item: OutboxItem): Promise<Message>;
}

export interface OutboxOptions {
  transport: OutboxTransport;
  /** Every change of an item (status, error) or its removal (null). */
  onChange: (item: OutboxItem, removed: boolean) => void;
  /** The server stored the item: `stored` is the ack, or the message from REST. */
  onStored: (item: OutboxItem, stored: StoredAck | Message) => void;
  storage?: KeyValueStorage;
  storageKey?: string;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffPolicy;
}

const RETRYABLE_FRAME_ERRORS = ['rate_limited', 'internal', 'storage_busy', 'seq_contention', 'send_queue_full', 'internal_error'];

/** Errors that a retry cannot fix: the request itself is refused. */
export function isPermanent(e: unknown): boolean {
  if (e instanceof FrameError)
    return !(RETRYABLE_FRAME_ERRORS.includes(e.code) || e.code === 'unavailable' || e.code.endsWith('_unavailable'));
  if (e instanceof ApiError) return !e.retryable && e.status !== 401;
  return false;
}

export function newClientId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Outbox {
  private readonly o: OutboxOptions;
  private readonly timers: Timers;
  private readonly random: () => number;
  private items = new Map<string, OutboxItem>();
  private inflight = new Set<string>();
  private retryTimers = new Map<string, unknown>();

  constructor(options: OutboxOptions) {
    this.o = options;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.load();
  }

  get all(): OutboxItem[] {
    return [...this.items.values()];
  }

  get(clientId: string): OutboxItem | undefined {
    return this.items.get(clientId);
  }

  /** Queues a new message and tries to send it at once. */
  enqueue(draft: Omit<OutboxItem, 'attempts' | 'status' | 'created_at' | 'client_id'> & { client_id?: string }): OutboxItem {
    const item: OutboxItem = {
      ...draft,
      client_id: draft.client_id ?? newClientId(),
      created_at: new Date().toISOString(),
      attempts: 0,
      status: 'sending',
    };
    this.items.set(item.client_id, item);
    this.save();
    this.o.onChange(item, false);
    this.attempt(item.client_id);
    return item;
  }

  /** Tries every item that is not in flight or failed (the connection came back). */
  flush(): void {
    for (const id of this.items.keys()) {
      const item = this.items.get(id)!;
      if (item.status !== 'failed' && !this.inflight.has(id)) this.attempt(id);
    }
  }

  /** The user asked to try a failed message again (same client_id). */
  retry(clientId: string): void {
    const item = this.items.get(clientId);
    if (!item) return;
    this.update(item, { status: 'sending', error: undefined });
    this.attempt(clientId);
  }

  discard(clientId: string): void {
    const item = this.items.get(clientId);
    if (!item) return;
    this.forget(item);
  }

  /** The message showed up stored by another path (message.new, history, sync). */
  settled(clientId: string): void {
    const item = this.items.get(clientId);
    if (item) this.forget(item);
  }

  private attempt(clientId: string): void {
    const item = this.items.get(clientId);
    if (!item || this.inflight.has(clientId)) return;
    this.timers.clearTimeout(this.retryTimers.get(clientId));
    this.retryTimers.delete(clientId);
    this.inflight.add(clientId);
    const current = this.update(item, { attempts: item.attempts + 1, status: 'sending' });
    let sent: Promise<StoredAck | Message>;
    const viaSocket = this.o.transport.viaSocket(current, () => {
      const now = this.items.get(clientId);
      if (now && now.status === 'sending') this.update(now, { status: 'accepted' });
    });
    sent = viaSocket ?? this.o.transport.viaRest(current);
    sent.then(
      (stored) => {
        this.inflight.delete(clientId);
        const done = this.items.get(clientId) ?? current;
        this.forget(done);
        this.o.onStored(done, stored);
      },
      (e: unknown) => {
        this.inflight.delete(clientId);
        const now = this.items.get(clientId);
        if (!now) return; // settled meanwhile
        if (isPermanent(e)) {
          this.update(now, { status: 'failed', error: e instanceof Error ? e.message : String(e) });
          return;
        }
        // Unknown fate (timeout, lost connection, server busy): the same client_id again later.
        this.update(now, { status: 'sending' });
        const wait =
          e instanceof DisconnectedError || e instanceof NetworkError
            ? backoffDelay(now.attempts, { baseMs: 1000, maxMs: 30_000 }, this.random)
            : backoffDelay(now.attempts + 1, this.o.backoff ?? { baseMs: 1000, maxMs: 30_000 }, this.random);
        this.retryTimers.set(
          clientId,
          this.timers.setTimeout(() => this.attempt(clientId), wait),
        );
      },
    );
  }

  private update(item: OutboxItem, patch: Partial<OutboxItem>): OutboxItem {
    const next = { ...item, ...patch };
    this.items.set(item.client_id, next);
    this.save();
    this.o.onChange(next, false);
    return next;
  }

  private forget(item: OutboxItem): void {
    if (!this.items.delete(item.client_id)) return;
    this.timers.clearTimeout(this.retryTimers.get(item.client_id));
    this.retryTimers.delete(item.client_id);
    this.save();
    this.o.onChange(item, true);
  }

  private load(): void {
    const { storage, storageKey } = this.o;
    if (!storage || !storageKey) return;
    try {
      const raw = storage.getItem(storageKey);
      const list = raw ? (JSON.parse(raw) as OutboxItem[]) : [];
      for (const item of list) {
        // Whatever was in flight when the page went away is retried (same client_id).
        this.items.set(item.client_id, item.status === 'failed' ? item : { ...item, status: 'sending' });
      }
    } catch {
      /* a damaged entry is dropped */
    }
  }

  private save(): void {
    const { storage, storageKey } = this.o;
    if (!storage || !storageKey) return;
    try {
      if (this.items.size === 0) storage.removeItem(storageKey);
      else storage.setItem(storageKey, JSON.stringify(this.all));
    } catch {
      /* storage full or unavailable: the outbox still works in memory */
    }
  }
}
