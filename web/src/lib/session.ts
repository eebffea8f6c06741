// The signed-in session: access and refresh tokens, persisted so that a reload keeps the
// user signed in, and shared by every tab of the browser.
//
// Refresh tokens rotate and are single-use: presenting one twice revokes the whole
// session. So every refresh, in every tab, runs under one named lock (Web Locks API; an
// in-process queue where it is missing), and inside the lock the tab first re-reads the
// stored tokens: when another tab already rotated them, it adopts the new ones instead of
// spending the old refresh token again.

import type { TokenResponse } from './types';

export interface StoredSession {
  userId: string;
  accessToken: string;
  accessExpiresAt: number; // ms since the epoch, by the local clock
  refreshToken: string;
  refreshExpiresAt: number;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Runs `fn` while holding the lock `name`, exclusive across every holder. */
export type LockRunner = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** The refresh token was refused (expired, revoked or reused): the user must sign in again. */
export class SessionEndedError extends Error {
  constructor(message = 'session ended') {
    super(message);
    this.name = 'SessionEndedError';
  }
}

export type EndReason = 'logout' | 'expired' | 'deleted';

export interface SessionOptions {
  storage: KeyValueStorage;
  /** POST /auth/refresh; rejects with an error carrying `status` 401 when refused. */
  refreshRequest: (refreshToken: string) => Promise<TokenResponse>;
  lock?: LockRunner;
  now?: () => number;
  key?: string;
  /** Tokens with less than this left are refreshed before use. */
  marginMs?: number;
}

export const SESSION_KEY = 'parley.session';
const LOCK_NAME = 'parley.refresh';

/** A lock that only serialises callers inside this page: the fallback without Web Locks. */
export function localLock(): LockRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(_name: string, fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The Web Locks API (exclusive across the browser's tabs), or the local fallback. */
export function browserLock(): LockRunner {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks) return localLock();
  return <T>(name: string, fn: () => Promise<T>) => locks.request(name, { mode: 'exclusive' }, fn) as Promise<T>;
}

export function sessionFromTokens(t: TokenResponse, now: number): StoredSession {
  return {
    userId: t.user_id,
    accessToken: t.access_token,
    accessExpiresAt: now + t.expires_in * 1000,
    refreshToken: t.refresh_token,
    refreshExpiresAt: now + t.refresh_expires_in * 1000,
  };
}

function isRefusal(e: unknown): boolean {
  const status = (e as { status?: number } | null)?.status;
  return status === 401 || status === 400;
}

export class SessionManager {
  private readonly storage: KeyValueStorage;
  private readonly refreshRequest: SessionOptions['refreshRequest'];
  private readonly lock: LockRunner;
  private readonly now: () => number;
  private readonly key: string;
  private readonly marginMs: number;
  private inflight: Promise<StoredSession> | null = null;
  private listeners = new Set<(s: StoredSession | null, reason?: EndReason) => void>();
  private last: string | null;

  constructor(opts: SessionOptions) {
    this.storage = opts.storage;
    this.refreshRequest = opts.refreshRequest;
    this.lock = opts.lock ?? localLock();
    this.now = opts.now ?? Date.now;
    this.key = opts.key ?? SESSION_KEY;
    this.marginMs = opts.marginMs ?? 60_000;
    this.last = this.storage.getItem(this.key);
  }

  /** The stored session, read fresh (another tab may have rotated it). */
  get current(): StoredSession | null {
    const raw = this.storage.getItem(this.key);
    if (!raw) return null;
    try {
      const s = JSON.parse(raw) as StoredSession;
      if (!s || typeof s.accessToken !== 'string' || typeof s.refreshToken !== 'string') return null;
      return s;
    } catch {
      return null;
    }
  }

  get signedIn(): boolean {
    const s = this.current;
    return !!s && s.refreshExpiresAt > this.now();
  }

  subscribe(listener: (s: StoredSession | null, reason?: EndReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a login: stores the new session. */
  start(tokens: TokenResponse): StoredSession {
    const s = sessionFromTokens(tokens, this.now());
    this.write(s);
    return s;
  }

  /** Forgets the session here and in every other tab. */
  end(reason: EndReason = 'logout'): void {
    const had = this.storage.getItem(this.key) !== null;
    this.storage.removeItem(this.key);
    this.last = null;
    if (had) this.emit(null, reason);
  }

  /**
   * Call when another tab changed storage (the `storage` event): tells listeners when the
   * session was replaced or ended elsewhere.
   */
  storageChanged(): void {
    const raw = this.storage.getItem(this.key);
    if (raw === this.last) return;
    this.last = raw;
    this.emit(this.current, raw === null ? 'logout' : undefined);
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const s = this.current;
    if (!s) throw new SessionEndedError('not signed in');
    if (s.accessExpiresAt - this.now() > this.marginMs) return s.accessToken;
    return (await this.refresh(s.accessToken)).accessToken;
  }

  /**
   * Rotates the tokens. `stale` is the access token the caller found wanting (expired or
   * refused); when the stored one already differs from it and is fresh, another caller or
   * tab refreshed in the meantime and its tokens are used instead. Concurrent calls in
   * this tab share one refresh.
   */
  refresh(stale?: string): Promise<StoredSession> {
    if (this.inflight) return this.inflight;
    const run = this.lock(LOCK_NAME, async () => {
      const s = this.current;
      if (!s) throw new SessionEndedError('not signed in');
      const fresh = s.accessExpiresAt - this.now() > this.marginMs;
      if (stale !== undefined && s.accessToken !== stale && fresh) {
        this.adopt();
        return s;
      }
      let tokens: TokenResponse;
      try {
        tokens = await this.refreshRequest(s.refreshToken);
      } catch (e) {
        if (isRefusal(e)) {
          // Only end the session if nobody replaced it while the request was out.
          if (this.current?.refreshToken === s.refreshToken) this.end('expired');
          throw new SessionEndedError('the session has expired');
        }
        throw e; // offline or a server error: the session stays, a later call retries
      }
      const next = sessionFromTokens(tokens, this.now());
      this.write(next);
      return next;
    });
    this.inflight = run;
    const clear = () => {
      if (this.inflight === run) this.inflight = null;
    };
    run.then(clear, clear);
    return run;
  }

  private adopt(): void {
    const raw = this.storage.getItem(this.key);
    if (raw !== this.last) {
      this.last = raw;
      this.emit(this.current);
    }
  }

  private write(s: StoredSession): void {
    const raw = JSON.stringify(s);
    this.storage.setItem(this.key, raw);
    this.last = raw;
    this.emit(s);
  }

  private emit(s: StoredSession | null, reason?: EndReason): void {
    for (const l of [...this.listeners]) l(s, reason);
  }
}
