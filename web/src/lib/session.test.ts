import { describe, expect, it, vi } from 'vitest';
import { ApiError, Api } from './api';
import { localLock, SessionEndedError, SessionManager, type LockRunner } from './session';
import type { TokenResponse } from './types';
import { MemoryStorage } from '../test/fakes';

let counter = 0;
function tokens(): TokenResponse {
  counter++;
  return {
    user_id: 'u1',
    access_token: `at${counter}`,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: `rt${counter}`,
    refresh_expires_in: 86400,
  };
}

/** A refresh endpoint that rotates like the server: each refresh token works once. */
function rotatingServer() {
  const valid = new Set<string>();
  const calls: string[] = [];
  let revoked = false;
  const refresh = vi.fn(async (rt: string): Promise<TokenResponse> => {
    calls.push(rt);
    await new Promise((r) => setTimeout(r, 5));
    if (revoked || !valid.has(rt)) {
      revoked = true; // reuse revokes the whole session
      throw new ApiError(401, 'refresh_token_reused', 'reused');
    }
    valid.delete(rt);
    const t = tokens();
    valid.add(t.refresh_token);
    return t;
  });
  const login = () => {
    const t = tokens();
    valid.add(t.refresh_token);
    return t;
  };
  return { refresh, login, calls, get revoked() {
    return revoked;
  } };
}

describe('session', () => {
  it('persists the session so that a reload stays signed in', () => {
    const storage = new MemoryStorage();
    const server = rotatingServer();
    const a = new SessionManager({ storage, refreshRequest: server.refresh });
    a.start(server.login());
    const reloaded = new SessionManager({ storage, refreshRequest: server.refresh });
    expect(reloaded.signedIn).toBe(true);
    expect(reloaded.current?.userId).toBe('u1');
  });

  it('returns the stored access token while it is fresh, refreshes it shortly before expiry', async () => {
    let now = 1_000_000;
    const server = rotatingServer();
    const s = new SessionManager({ storage: new MemoryStorage(), refreshRequest: server.refresh, now: () => now });
    const first = s.start(server.login()).accessToken;
    expect(await s.accessToken()).toBe(first);
    now += 850_000; // 50 s left: inside the margin
    const second = await s.accessToken();
    expect(second).not.toBe(first);
    expect(server.refresh).toHaveBeenCalledTimes(1);
  });

  it('shares one refresh between concurrent callers in a tab', async () => {
    const server = rotatingServer();
    const s = new SessionManager({ storage: new MemoryStorage(), refreshRequest: server.refresh });
    const stale = s.start(server.login()).accessToken;
    const results = await Promise.all([s.refresh(stale), s.refresh(stale), s.refresh(stale)]);
    expect(server.refresh).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(server.revoked).toBe(false);
  });

  it('serialises refreshes across tabs: the second tab adopts the rotated tokens instead of reusing the old one', async () => {
    const storage = new MemoryStorage(); // localStorage is shared by the tabs
    const lock: LockRunner = localLock(); // navigator.locks is shared by the tabs too
    const server = rotatingServer();
    const tab1 = new SessionManager({ storage, refreshRequest: server.refresh, lock });
    const tab2 = new SessionManager({ storage, refreshRequest: server.refresh, lock });
    const stale = tab1.start(server.login()).accessToken;
    // Both tabs saw the same access token refused at the same moment.
    const [r1, r2] = await Promise.all([tab1.refresh(stale), tab2.refresh(stale)]);
    expect(server.refresh).toHaveBeenCalledTimes(1);
    expect(r2.accessToken).toBe(r1.accessToken);
    expect(server.revoked).toBe(false);
    // And the session still works afterwards.
    await tab2.refresh(r2.accessToken);
    expect(server.revoked).toBe(false);
  });

  it('without the lock both tabs would spend the same token and lose the session', async () => {
    const storage = new MemoryStorage();
    const server = rotatingServer();
    const noLock: LockRunner = (_n, fn) => fn();
    const tab1 = new SessionManager({ storage, refreshRequest: server.refresh, lock: noLock });
    const tab2 = new SessionManager({ storage, refreshRequest: server.refresh, lock: noLock });
    const stale = tab1.start(server.login()).accessToken;
    const results = await Promise.allSettled([tab1.refresh(stale), tab2.refresh(stale)]);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    expect(server.revoked).toBe(true);
  });

  it('ends the session when the refresh token is refused, and tells listeners', async () => {
    const server = rotatingServer();
    const storage = new MemoryStorage();
    const s = new SessionManager({ storage, refreshRequest: server.refresh });
    s.start(tokens()); // a refresh token the server does not know
    const reasons: (string | undefined)[] = [];
    s.subscribe((_s, reason) => reasons.push(reason));
    await expect(s.refresh(s.current!.accessToken)).rejects.toBeInstanceOf(SessionEndedError);
    expect(s.current).toBeNull();
    expect(reasons).toEqual(['expired']);
  });

  it('keeps the session when the refresh fails for lack of network', async () => {
    const s = new SessionManager({
      storage: new MemoryStorage(),
      refreshRequest: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    s.start(tokens());
    await expect(s.refresh(s.current!.accessToken)).rejects.toBeInstanceOf(TypeError);
    expect(s.signedIn).toBe(true);
  });

  it('notices a sign-out in another tab', () => {
    const storage = new MemoryStorage();
    const server = rotatingServer();
    const tab1 = new SessionManager({ storage, refreshRequest: server.refresh });
    const tab2 = new SessionManager({ storage, refreshRequest: server.refresh });
    tab1.start(server.login());
    tab2.storageChanged();
    const seen: (string | null)[] = [];
    tab2.subscribe((s) => seen.push(s ? s.userId : null));
    tab1.end('logout');
    tab2.storageChanged(); // the browser's storage event
    expect(seen).toEqual([null]);
  });
});

describe('api client', () => {
  function response(status: number, body?: unknown): Response {
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  }

  it('refreshes once and retries when the access token has expired', async () => {
    const server = rotatingServer();
    const session = new SessionManager({ storage: new MemoryStorage(), refreshRequest: server.refresh });
    const first = session.start(server.login()).accessToken;
    const seen: string[] = [];
    const fetchFn = vi.fn(async (_url: string, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string>).Authorization!;
      seen.push(auth);
      if (auth === `Bearer ${first}`) return response(401, { error: { code: 'token_expired', message: 'expired' } });
      return response(200, { id: 'u1' });
    });
    const api = new Api(session, fetchFn);
    await expect(api.me()).resolves.toEqual({ id: 'u1' });
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toBe(seen[0]);
    expect(server.refresh).toHaveBeenCalledTimes(1);
  });

  it('turns the error envelope into ApiError', async () => {
    const session = new SessionManager({ storage: new MemoryStorage(), refreshRequest: async () => tokens() });
    session.start(tokens());
    const api = new Api(session, async () =>
      new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }), {
        status: 429,
        headers: { 'Retry-After': '7' },
      }),
    );
    const err = await api.chats().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfterS: 7, retryable: true });
  });
});
