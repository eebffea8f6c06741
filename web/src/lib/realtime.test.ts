import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';
import { DisconnectedError, FrameError, RealtimeClient, type ConnectionState } from './realtime';
import { SessionEndedError } from './session';
import { FakeSocket, FakeTimers, fakeJwt, flush } from '../test/fakes';
import type { ServerFrame } from './types';

function setup(opts: { token?: () => Promise<string>; refresh?: (s: string) => Promise<string>; random?: () => number } = {}) {
  const timers = new FakeTimers();
  const sockets: FakeSocket[] = [];
  const frames: ServerFrame[] = [];
  const states: ConnectionState[] = [];
  let opens = 0;
  let tokenN = 0;
  const refreshed: string[] = [];
  let ended = false;
  const rt = new RealtimeClient({
    url: (t) => `ws://test/ws?access_token=${t}`,
    token: opts.token ?? (async () => fakeJwt(timers.now + 900_000, `t${tokenN}`)),
    refresh:
      opts.refresh ??
      (async (stale) => {
        refreshed.push(stale);
        tokenN++;
        return fakeJwt(timers.now + 900_000, `t${tokenN}`);
      }),
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onFrame: (f) => frames.push(f),
    onOpen: () => opens++,
    onState: (s) => states.push(s),
    onSessionEnded: () => (ended = true),
    timers,
    now: () => timers.now,
    random: opts.random ?? (() => 0.5),
  });
  return {
    rt,
    timers,
    sockets,
    frames,
    states,
    refreshed,
    get opens() {
      return opens;
    },
    get ended() {
      return ended;
    },
    last: () => sockets[sockets.length - 1]!,
  };
}

describe('backoff', () => {
  it('grows exponentially, is capped, and is jittered within [cap/2, cap]', () => {
    const p = { baseMs: 500, maxMs: 30_000 };
    expect(backoffDelay(0, p, () => 0)).toBe(250);
    expect(backoffDelay(0, p, () => 1)).toBe(500);
    expect(backoffDelay(3, p, () => 0.5)).toBe(3000);
    expect(backoffDelay(20, p, () => 1)).toBe(30_000);
    expect(backoffDelay(20, p, () => 0)).toBe(15_000);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, p, () => i / 20)));
    expect(spread.size).toBe(20); // clients do not come back in lockstep
  });
});

describe('realtime connection', () => {
  it('connects with the access token and reports online after hello', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    expect(h.sockets).toHaveLength(1);
    expect(h.last().url).toMatch(/^ws:\/\/test\/ws\?access_token=/);
    expect(h.rt.state).toBe('connecting');
    h.last().open();
    expect(h.rt.state).toBe('online');
    expect(h.opens).toBe(1);
    expect(h.frames[0]!.type).toBe('hello');
  });

  it('reconnects with growing, jittered delays and calls onOpen again (the moment to sync)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    h.last().drop(1006);
    expect(h.rt.state).toBe('reconnecting');
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(h.timers.nextDelay()!);
      await h.timers.advance(h.timers.nextDelay()!);
      expect(h.sockets).toHaveLength(2 + i);
      h.last().drop(1006); // fails before hello
    }
    expect(delays).toEqual([375, 750, 1500, 3000]); // 0.75 × 500·2^n with random 0.5
    await h.timers.advance(h.timers.nextDelay()!);
    h.last().open();
    expect(h.rt.state).toBe('online');
    expect(h.opens).toBe(2);
    // The attempt counter starts over after a success.
    h.last().drop(1006);
    expect(h.timers.nextDelay()).toBe(375);
  });

  it('renews the token and reconnects at once after close 4401', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    h.last().drop(4401);
    expect(h.timers.nextDelay()).toBe(0);
    await h.timers.advance(0);
    expect(h.refreshed).toHaveLength(1);
    expect(h.sockets).toHaveLength(2);
  });

  it('comes back soon after a server restart (1012) and a slow-consumer close (4408)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    h.last().drop(1012);
    expect(h.timers.nextDelay()).toBeGreaterThanOrEqual(500);
    expect(h.timers.nextDelay()).toBeLessThanOrEqual(2500);
    await h.timers.advance(h.timers.nextDelay()!);
    h.last().open();
    h.last().drop(4408);
    expect(h.timers.nextDelay()).toBeLessThanOrEqual(500);
    await h.timers.advance(h.timers.nextDelay()!);
    h.last().open();
    expect(h.opens).toBe(3);
  });

  it('backs off longer when rate limited (4429)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    h.last().drop(4429);
    expect(h.timers.nextDelay()).toBeGreaterThanOrEqual(2000);
  });

  it('treats a silent connection as lost (no pong to its ping)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    await h.timers.advance(20_000);
    expect(h.last().last('ping')).toBeTruthy();
    await h.timers.advance(10_000);
    expect(h.last().closed).not.toBeNull();
    expect(h.rt.state).toBe('reconnecting');
  });

  it('goes offline with the browser and reconnects at once when it is back', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().open();
    h.rt.setNetwork(false);
    expect(h.rt.state).toBe('offline');
    expect(h.sockets[0]!.closed).not.toBeNull();
    h.rt.setNetwork(true);
    await flush();
    expect(h.sockets).toHaveLength(2);
  });

  it('answers requests by id, including two-step acks, errors and timeouts', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    const s = h.last();
    s.open();
    const acks: string[] = [];
    const send = h.rt.request({ type: 'message.send', body: 'x' }, { until: (a) => a.status === 'stored', onAck: (a) => acks.push(a.status) });
    const id = s.sent[0]!.id;
    s.receive({ type: 'ack', id, status: 'accepted', client_id: 'c' });
    s.receive({ type: 'ack', id, status: 'stored', client_id: 'c', seq: 4, message_id: 'm4' });
    await expect(send).resolves.toMatchObject({ seq: 4 });
    expect(acks).toEqual(['accepted', 'stored']);

    const bad = h.rt.request({ type: 'message.edit' });
    s.receive({ type: 'error', id: s.sent[1]!.id, code: 'not_author', message: 'no' });
    await expect(bad).rejects.toBeInstanceOf(FrameError);

    const lost = h.rt.request({ type: 'sync', chats: [] });
    s.drop(1006);
    await expect(lost).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('renews the token on the open connection before it expires', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    h.last().autoPong = true;
    h.last().open();
    await h.timers.advance(900_000 - 30_000);
    const auth = h.last().last('auth');
    expect(auth).toBeTruthy();
    h.last().receive({ type: 'ack', id: auth!.id, status: 'authenticated' });
    await flush();
    expect(h.sockets).toHaveLength(1);
  });

  it('reads every message of a frame that carries several, in order (protocol 2)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    const s = h.last();
    s.open();
    const send = h.rt.request({ type: 'message.send', body: 'x' }, { until: (a) => a.status === 'stored' });
    const id = s.sent[0]!.id;
    const news = [1, 2].map((seq) => ({ type: 'message.new', data: { chat_id: 'c1', seq } }));
    s.receive(news[0], { type: 'ack', id, status: 'accepted', client_id: 'c' }, news[1], {
      type: 'ack', id, status: 'stored', client_id: 'c', seq: 3, message_id: 'm3',
    });
    await expect(send).resolves.toMatchObject({ seq: 3 });
    expect(h.frames.filter((f) => f.type === 'message.new')).toEqual(news);
  });

  it('refuses a server that speaks another protocol version', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    const s = h.last();
    s.readyState = 1;
    s.receive({ type: 'hello', data: { protocol: 1, user_id: 'u1', connection_id: 1 } });
    expect(h.rt.state).toBe('unsupported');
    expect(h.opens).toBe(0);
    await h.timers.advance(60_000);
    expect(h.sockets).toHaveLength(1); // no reconnect loop
  });

  it('keeps a request open through errors it declares non-final (sync per chat)', async () => {
    const h = setup();
    h.rt.start();
    await flush();
    const s = h.last();
    s.open();
    const seen: string[] = [];
    const sync = h.rt.request({ type: 'sync', chats: [] }, { onError: (e) => (seen.push(e.chat_id ?? ''), !!e.chat_id) });
    const id = s.sent[0]!.id;
    s.receive({ type: 'error', id, code: 'chat_not_found', message: 'x', chat_id: 'c9' });
    s.receive({ type: 'ack', id, status: 'synced' });
    await expect(sync).resolves.toMatchObject({ status: 'synced' });
    expect(seen).toEqual(['c9']);
  });

  it('stops and reports when the session has ended', async () => {
    const h = setup({
      token: async () => {
        throw new SessionEndedError();
      },
    });
    h.rt.start();
    await flush();
    expect(h.ended).toBe(true);
    expect(h.rt.state).toBe('stopped');
  });
});
