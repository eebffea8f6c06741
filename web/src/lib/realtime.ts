// The /ws connection: connects with the access token, keeps itself alive (app-level
// pings, token renewal with an `auth` frame), and reconnects with backoff and jitter after
// any loss. Knows the close codes: 4401 (token expired: refresh, then reconnect at once),
// 1012 (server restart: reconnect shortly), 4408 (slow consumer: reconnect and catch up),
// 4429 (rate limited: back off longer). Catch-up itself (`sync`) is the caller's job, in
// `onOpen`, which runs after every `hello`.

import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { jwtExpiryMs } from './jwt';
import { SessionEndedError } from './session';
import type { AckFrame, ErrorFrame, ServerFrame } from './types';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'stopped' | 'unsupported';

/** The protocol version this client speaks (docs/protocol.md). */
/** The WebSocket protocol version this client speaks (docs/protocol.md); asked for in the URL. */
export const PROTOCOL_VERSION = 2;

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The server answered a request with an `error` frame. */
export class FrameError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
  }
}

/** The connection went away (or never answered) before the request was answered. */
export class DisconnectedError extends Error {
  constructor(message = 'disconnected') {
    super(message);
    this.name = 'DisconnectedError';
  }
}

export interface RealtimeOptions {
  url: (token: string) => string;
  /** A usable access token (refreshing it when it is about to expire). */
  token: () => Promise<string>;
  /** Forces a refresh because `stale` was refused; resolves to the new access token. */
  refresh: (stale: string) => Promise<string>;
  connect: WebSocketFactory;
  onFrame: (frame: ServerFrame) => void;
  /** After every `hello`: the moment to catch up. */
  onOpen?: () => void;
  onState?: (state: ConnectionState) => void;
  onSessionEnded?: () => void;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  backoff?: BackoffPolicy;
  heartbeatMs?: number;
  pongTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Renew the token on the connection this long before it expires. */
  renewBeforeMs?: number;
}

interface PendingRequest {
  resolve: (ack: AckFrame) => void;
  reject: (e: Error) => void;
  timer: unknown;
  until?: (ack: AckFrame) => boolean;
  onAck?: (ack: AckFrame) => void;
  onError?: (error: ErrorFrame) => boolean;
}

export interface RequestOptions {
  /** Which ack ends the request (message.send answers `accepted`, then `stored`). */
  until?: (ack: AckFrame) => boolean;
  /** Sees every ack, the final one included. */
  onAck?: (ack: AckFrame) => void;
  /** An error for this request that does not end it (sync's per-chat errors): return true. */
  onError?: (error: ErrorFrame) => boolean;
  timeoutMs?: number;
}

const OPEN = 1;

export class RealtimeClient {
  private readonly o: RealtimeOptions;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly now: () => number;
  private ws: WebSocketLike | null = null;
  private greeted = false;
  private stopped = true;
  private online = true;
  private attempt = 0;
  private failedBeforeHello = 0;
  private forceRefresh = false;
  private tokenInUse = '';
  private reconnectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private pongTimer: unknown = null;
  private renewTimer: unknown = null;
  private nextId = 0;
  private pending = new Map<string, PendingRequest>();
  private _state: ConnectionState = 'stopped';
  /** How often the socket has opened (for tests and diagnostics). */
  opens = 0;

  constructor(options: RealtimeOptions) {
    this.o = options;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get isOpen(): boolean {
    return this.greeted && this.ws !== null && this.ws.readyState === OPEN;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.greeted = false;
    this.failAll(new DisconnectedError('stopped'));
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.setState('stopped');
  }

  /** The browser's network status changed (window `online`/`offline`). */
  setNetwork(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    if (this.stopped) return;
    if (!online) {
      // The socket is probably dead already; do not wait for a timeout to notice.
      if (this.ws) this.drop(this.ws, 4000);
      else this.setState('offline');
    } else {
      this.reconnectNow();
    }
  }

  /** Skips the remaining backoff (the user clicked "retry", or the network came back). */
  reconnectNow(): void {
    if (this.stopped || this.ws) return;
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempt = 0;
    void this.open();
  }

  /** Sends a frame without waiting for an answer; false when not connected. */
  send(frame: Record<string, unknown>): boolean {
    if (!this.isOpen) return false;
    try {
      this.ws!.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a frame with a fresh `id` and resolves with the (final) ack for it. */
  request(frame: Record<string, unknown>, opts: RequestOptions = {}): Promise<AckFrame> {
    return new Promise<AckFrame>((resolve, reject) => {
      if (!this.isOpen) {
        reject(new DisconnectedError('not connected'));
        return;
      }
      const id = `r${++this.nextId}`;
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new DisconnectedError('no answer'));
      }, opts.timeoutMs ?? this.o.requestTimeoutMs ?? 15_000);
      this.pending.set(id, { resolve, reject, timer, until: opts.until, onAck: opts.onAck, onError: opts.onError });
      if (!this.send({ ...frame, id })) {
        this.timers.clearTimeout(timer);
        this.pending.delete(id);
        reject(new DisconnectedError('send failed'));
      }
    });
  }

  private setState(s: ConnectionState): void {
    if (this._state === s) return;
    this._state = s;
    this.o.onState?.(s);
  }

  private async open(): Promise<void> {
    if (this.stopped || this.ws) return;
    this.reconnectTimer = null;
    this.setState(!this.online ? 'offline' : this.opens === 0 ? 'connecting' : 'reconnecting');
    let token: string;
    try {
      token = await this.o.token();
      if (this.forceRefresh) {
        token = await this.o.refresh(token);
        this.forceRefresh = false;
      }
    } catch (e) {
      if (e instanceof SessionEndedError) {
        this.stop();
        this.o.onSessionEnded?.();
        return;
      }
      this.scheduleReconnect(this.delayFor(0));
      this.attempt++;
      return;
    }
    if (this.stopped || this.ws) return;
    let ws: WebSocketLike;
    try {
      ws = this.o.connect(this.o.url(token));
    } catch {
      this.scheduleReconnect(this.delayFor(0));
      this.attempt++;
      return;
    }
    this.ws = ws;
    this.greeted = false;
    this.tokenInUse = token;
    ws.onmessage = (ev) => this.onMessage(ws, ev.data);
    ws.onclose = (ev) => this.drop(ws, ev.code);
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private onMessage(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.ws || typeof data !== 'string') return;
    // Protocol 2: a frame carries one or more messages, one JSON text per line.
    for (const line of data.split('\n')) {
      if (ws !== this.ws) return; // a message closed this connection
      this.onServerMessage(line);
    }
  }

  private onServerMessage(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
    this.alive();
    if (frame.type === 'hello') {
      if (frame.data?.protocol !== PROTOCOL_VERSION) {
        // A server speaking another version: do not guess, ask for a reload.
        this.stop();
        this.setState('unsupported');
        return;
      }
      this.greeted = true;
      this.opens++;
      this.attempt = 0;
      this.failedBeforeHello = 0;
      this.setState('online');
      this.scheduleRenewal();
      this.o.onOpen?.();
    } else if (frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong') {
      const id = frame.id != null ? String(frame.id) : '';
      const p = id ? this.pending.get(id) : undefined;
      if (p) {
        if (frame.type === 'error') {
          if (p.onError?.(frame)) {
            this.o.onFrame(frame);
            return;
          }
          this.pending.delete(id);
          this.timers.clearTimeout(p.timer);
          p.reject(new FrameError(frame.code, frame.message));
        } else if (frame.type === 'ack') {
          p.onAck?.(frame);
          if (!p.until || p.until(frame)) {
            this.pending.delete(id);
            this.timers.clearTimeout(p.timer);
            p.resolve(frame);
          }
        } else {
          this.pending.delete(id);
          this.timers.clearTimeout(p.timer);
          p.resolve({ type: 'ack', id, status: 'pong' });
        }
      }
    }
    this.o.onFrame(frame);
  }

  /** Any frame proves the connection alive: push the next ping out. */
  private alive(): void {
    this.timers.clearTimeout(this.pongTimer);
    this.pongTimer = null;
    this.timers.clearTimeout(this.heartbeatTimer);
    const ws = this.ws;
    this.heartbeatTimer = this.timers.setTimeout(() => {
      if (ws !== this.ws || !this.isOpen) return;
      this.send({ type: 'ping', id: `p${++this.nextId}` });
      this.pongTimer = this.timers.setTimeout(() => {
        if (ws && ws === this.ws) this.drop(ws, 4000); // silent: treat as lost
      }, this.o.pongTimeoutMs ?? 10_000);
    }, this.o.heartbeatMs ?? 20_000);
  }

  private scheduleRenewal(): void {
    this.timers.clearTimeout(this.renewTimer);
    const exp = jwtExpiryMs(this.tokenInUse);
    if (exp === null) return;
    const ws = this.ws;
    const wait = Math.max(1_000, exp - this.now() - (this.o.renewBeforeMs ?? 30_000));
    this.renewTimer = this.timers.setTimeout(async () => {
      if (ws !== this.ws || !this.isOpen) return;
      try {
        let token = await this.o.token();
        if (token === this.tokenInUse) token = await this.o.refresh(token);
        await this.request({ type: 'auth', token });
        this.tokenInUse = token;
        this.scheduleRenewal();
      } catch (e) {
        if (e instanceof SessionEndedError) {
          this.stop();
          this.o.onSessionEnded?.();
          return;
        }
        // Renewal failed: let the connection go and come back with a fresh token.
        this.forceRefresh = true;
        if (ws && ws === this.ws) this.drop(ws, 4401);
      }
    }, wait);
  }

  private clearTimers(): void {
    this.timers.clearTimeout(this.heartbeatTimer);
    this.timers.clearTimeout(this.pongTimer);
    this.timers.clearTimeout(this.renewTimer);
    this.heartbeatTimer = this.pongTimer = this.renewTimer = null;
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.timers.clearTimeout(p.timer);
      p.reject(e);
    }
  }

  /** The socket closed (or is given up on): clean up and plan the next attempt. */
  private drop(ws: WebSocketLike, code: number): void {
    if (ws !== this.ws) return;
    const wasGreeted = this.greeted;
    this.ws = null;
    this.greeted = false;
    ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
    try {
      ws.close(4000, 'reconnecting');
    } catch {
      /* already closed */
    }
    this.clearTimers();
    this.failAll(new DisconnectedError());
    if (this.stopped) return;
    if (!wasGreeted && ++this.failedBeforeHello >= 2) this.forceRefresh = true; // perhaps a refused token
    let delay: number;
    switch (code) {
      case 4401: // token expired
        this.forceRefresh = true;
        delay = 0;
        break;
      case 1012: // server restart
        delay = 500 + Math.round(this.random() * 2_000);
        break;
      case 4408: // slow consumer: come back and catch up
        delay = 100 + Math.round(this.random() * 400);
        break;
      case 4429: // rate limited
        delay = this.delayFor(3);
        this.attempt++;
        break;
      default:
        delay = this.delayFor(0);
        this.attempt++;
    }
    this.scheduleReconnect(delay);
  }

  private delayFor(extra: number): number {
    return backoffDelay(this.attempt + extra, this.o.backoff ?? DEFAULT_BACKOFF, this.random);
  }

  private scheduleReconnect(delay: number): void {
    if (this.stopped) return;
    this.setState(this.online ? 'reconnecting' : 'offline');
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(() => void this.open(), delay);
  }
}
