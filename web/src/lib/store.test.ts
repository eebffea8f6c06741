import { describe, expect, it } from 'vitest';
import type { Api } from './api';
import type { RequestOptions } from './realtime';
import { Store, type RealtimeHandlers, type RealtimeLike } from './store';
import type { AckFrame, ChatListItem, Message } from './types';
import { FakeTimers, MemoryStorage, flush, msg } from '../test/fakes';

function chat(id: string, lastSeq: number, at: string, patch: Partial<ChatListItem> = {}): ChatListItem {
  return {
    id,
    kind: 'direct',
    name: '',
    avatar_url: '',
    created_by: 'me',
    created_at: at,
    updated_at: at,
    last_activity_at: at,
    last_message: null,
    last_seq: lastSeq,
    read_seq: lastSeq,
    unread_count: 0,
    member_ids: ['me', `${id}-peer`],
    presence: { user_id: `${id}-peer`, online: false, last_seen: null },
    ...patch,
  };
}

/** The server side: chats with their messages, answering the REST calls the store makes. */
class FakeServer {
  messages = new Map<string, Message[]>();
  chats: ChatListItem[] = [];
  calls: string[] = [];

  add(chatId: string, m: Message) {
    const list = this.messages.get(chatId) ?? [];
    list.push(m);
    this.messages.set(chatId, list);
  }

  api(): Api {
    const self = this;
    const page = (chatId: string, q: { before?: number; after?: number; limit?: number }) => {
      const all = (self.messages.get(chatId) ?? []).slice().sort((a, b) => a.seq - b.seq);
      const limit = q.limit ?? 50;
      let items = all.filter((m) => (!q.before || m.seq < q.before) && (!q.after || m.seq > q.after));
      items = q.after ? items.slice(0, limit) : items.slice(-limit);
      return { items };
    };
    return {
      session: { current: { userId: 'me' } },
      me: async () => ({ id: 'me', username: 'me', email: 'me@x', display_name: 'Me', bio: '', avatar_url: '', created_at: '', updated_at: '' }),
      chats: async () => {
        self.calls.push('chats');
        return { items: self.chats, next_cursor: null };
      },
      chat: async (id: string) => ({ id, kind: 'direct', members: [] }),
      user: async (id: string) => ({ id, username: id, display_name: id, bio: '', avatar_url: '', created_at: '' }),
      messages: async (chatId: string, q: { before?: number; after?: number; limit?: number }) => {
        self.calls.push(`messages ${chatId} ${JSON.stringify(q)}`);
        return page(chatId, q);
      },
      notifications: async () => ({ items: [], next_cursor: null, unread_count: 0 }),
      unreadNotifications: async () => ({ unread_count: 0 }),
      markRead: async () => ({ read_seq: 0, delivered_seq: 0 }),
      markDelivered: async () => ({ read_seq: 0, delivered_seq: 0 }),
      sendMessage: async (chatId: string, body: { client_id: string; body?: string }) => {
        self.calls.push(`send ${body.client_id}`);
        const existing = (self.messages.get(chatId) ?? []).find((m) => m.client_id === body.client_id && m.sender_id === 'me');
        if (existing) return existing;
        const seq = (self.messages.get(chatId) ?? []).length + 1;
        const m = msg(seq, { id: `m${seq}`, chat_id: chatId, sender_id: 'me', client_id: body.client_id, body: body.body ?? '' });
        self.add(chatId, m);
        return m;
      },
    } as unknown as Api;
  }
}

class FakeRealtime implements RealtimeLike {
  isOpen = false;
  sent: Record<string, unknown>[] = [];
  requests: { frame: Record<string, unknown>; opts?: RequestOptions; resolve: (a: AckFrame) => void; reject: (e: unknown) => void }[] = [];
  constructor(public h: RealtimeHandlers) {}
  start() {}
  stop() {}
  send(frame: Record<string, unknown>) {
    if (!this.isOpen) return false;
    this.sent.push(frame);
    return true;
  }
  request(frame: Record<string, unknown>, opts?: RequestOptions) {
    return new Promise<AckFrame>((resolve, reject) => {
      if (!this.isOpen) return reject(new Error('closed'));
      this.requests.push({ frame, opts, resolve, reject });
    });
  }
  open() {
    this.isOpen = true;
    this.h.onState('online');
    this.h.onOpen();
  }
  close() {
    this.isOpen = false;
    for (const r of this.requests.splice(0)) r.reject(new Error('closed'));
    this.h.onState('reconnecting');
  }
  frame(f: unknown) {
    this.h.onFrame(f as never);
  }
  lastRequest(type: string) {
    return [...this.requests].reverse().find((r) => r.frame.type === type);
  }
}

async function setup(server = new FakeServer()) {
  const timers = new FakeTimers();
  let rt!: FakeRealtime;
  const store = new Store({
    api: server.api(),
    realtime: (h) => (rt = new FakeRealtime(h)),
    timers,
    now: () => timers.now,
    storage: new MemoryStorage(),
    random: () => 0.5,
  });
  await store.start();
  return { store, rt, server, timers };
}

const T0 = '2024-05-01T10:00:00Z';
const seqs = (s: Store, id: string) => s.state.timelines[id]!.messages.map((m) => m.seq);

describe('store: chat list', () => {
  it('orders chats by activity and moves a chat up on a new message, counting unread', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 1, '2024-05-01T10:00:03Z'), chat('b', 1, '2024-05-01T10:00:02Z'), chat('c', 1, '2024-05-01T10:00:01Z')];
    const { store, rt } = await setup(server);
    expect(store.state.chatOrder).toEqual(['a', 'b', 'c']);
    rt.frame({ type: 'message.new', data: msg(2, { chat_id: 'c', created_at: '2024-05-01T11:00:00Z' }) });
    expect(store.state.chatOrder).toEqual(['c', 'a', 'b']);
    expect(store.state.chats.c!.unread_count).toBe(1);
    expect(store.state.chats.c!.last_message?.body).toBe('message 2');
    // The same message again (replay) does not count twice.
    rt.frame({ type: 'message.new', data: msg(2, { chat_id: 'c', created_at: '2024-05-01T11:00:00Z' }) });
    expect(store.state.chats.c!.unread_count).toBe(1);
    // One's own message moves the chat but is not unread.
    rt.frame({ type: 'message.new', data: msg(2, { chat_id: 'b', sender_id: 'me', created_at: '2024-05-01T12:00:00Z' }) });
    expect(store.state.chatOrder[0]).toBe('b');
    expect(store.state.chats.b!.unread_count).toBe(0);
  });

  it('does not count messages in the open, visible chat as unread and sends a read receipt', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 1, T0)];
    server.add('a', msg(1, { chat_id: 'a' }));
    const { store, rt } = await setup(server);
    rt.open();
    store.openChat('a');
    await flush();
    rt.frame({ type: 'message.new', data: msg(2, { chat_id: 'a' }) });
    expect(store.state.chats.a!.unread_count).toBe(0);
    expect(rt.sent.filter((f) => f.type === 'receipt.read').pop()).toMatchObject({ chat_id: 'a', seq: 2 });
  });

  it('tracks presence, typing (until it expires) and removal from a group', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 0, T0), chat('g', 0, T0, { kind: 'group', member_ids: [], presence: null })];
    const { store, rt, timers } = await setup(server);
    rt.frame({ type: 'presence', data: { user_id: 'a-peer', online: true, last_seen: null } });
    expect(store.state.chats.a!.presence?.online).toBe(true);
    rt.frame({ type: 'typing', data: { chat_id: 'a', user_id: 'a-peer', expires_in_ms: 5000 } });
    expect(Object.keys(store.state.typing.a ?? {})).toEqual(['a-peer']);
    await timers.advance(5100);
    expect(store.state.typing.a).toBeUndefined();
    rt.frame({ type: 'chat.updated', data: { change: 'member_removed', chat_id: 'g', actor_id: 'x', user_id: 'me', chat: null } });
    expect(store.state.chats.g).toBeUndefined();
    expect(store.state.chatOrder).toEqual(['a']);
  });
});

describe('store: history', () => {
  it('opens on the newest page and pages back, in seq order without duplicates', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 120; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 120, T0)];
    const { store } = await setup(server);
    store.openChat('a');
    await flush(30);
    expect(seqs(store, 'a')).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    await store.loadOlder('a');
    await store.loadOlder('a');
    expect(seqs(store, 'a')).toEqual(Array.from({ length: 120 }, (_, i) => 1 + i));
    expect(store.state.timelines.a!.hasOlder).toBe(false);
  });

  it('fills a hole when a live message arrives beyond what it holds', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 5; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 5, T0)];
    const { store, rt } = await setup(server);
    store.openChat('a');
    await flush(30);
    server.add('a', msg(6, { chat_id: 'a' }));
    server.add('a', msg(7, { chat_id: 'a' }));
    rt.frame({ type: 'message.new', data: msg(7, { chat_id: 'a' }) }); // 6 was missed
    await flush(30);
    expect(seqs(store, 'a')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(server.calls).toContain('messages a {"after":5,"before":7,"limit":100}');
  });
});

describe('store: reconnect and catch-up', () => {
  it('syncs the chats it holds from their last contiguous seq, dedups the replay, then refreshes', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 3; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 3, T0), chat('b', 9, T0)];
    const { store, rt } = await setup(server);
    rt.open();
    store.openChat('a');
    await flush(30);
    rt.close();
    // While away: two messages in a, one in b.
    server.add('a', msg(4, { chat_id: 'a' }));
    server.add('a', msg(5, { chat_id: 'a' }));
    server.chats = [chat('a', 5, T0), chat('b', 10, T0, { unread_count: 1 })];
    server.calls = [];
    rt.open();
    await flush(30);
    // The chat list first (new chats, counts), then sync of what is held locally.
    expect(server.calls[0]).toBe('chats');
    const sync = rt.lastRequest('sync')!;
    expect(sync.frame.chats).toEqual([{ chat_id: 'a', after_seq: 3 }]);
    expect(store.state.synced).toBe(false);
    expect(store.state.chats.b!.unread_count).toBe(1);
    // The replay, with a duplicate thrown in, and a live message interleaved.
    for (const m of [msg(4, { chat_id: 'a' }), msg(5, { chat_id: 'a' }), msg(4, { chat_id: 'a' })])
      rt.frame({ type: 'message.new', data: m });
    sync.resolve({ type: 'ack', status: 'synced' });
    await flush(30);
    expect(store.state.synced).toBe(true);
    expect(seqs(store, 'a')).toEqual([1, 2, 3, 4, 5]);
    // What sync does not replay (edits, reactions) is fetched again for the chat on screen.
    expect(server.calls).toContain('messages a {"limit":50}');
  });

  it('drops a chat that sync says is gone, and finishes the sync', async () => {
    const server = new FakeServer();
    server.add('a', msg(1, { chat_id: 'a' }));
    server.chats = [chat('a', 1, T0)];
    const { store, rt } = await setup(server);
    store.openChat('a');
    await flush(30);
    rt.open();
    await flush(30);
    const sync = rt.lastRequest('sync')!;
    expect(sync.opts!.onError!({ type: 'error', id: 'x', code: 'chat_not_found', message: 'gone', chat_id: 'a' })).toBe(true);
    expect(store.state.chats.a).toBeUndefined();
    // An error without a chat ends the request as usual.
    expect(sync.opts!.onError!({ type: 'error', id: 'x', code: 'internal', message: 'oops' })).toBe(false);
  });

  it('skips sync and loads the newest page when a chat is too far behind', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 3; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 3, T0)];
    const { store, rt } = await setup(server);
    store.openChat('a');
    await flush(30);
    for (let i = 4; i <= 1000; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 1000, T0)];
    rt.open();
    await flush(40);
    expect(rt.lastRequest('sync')).toBeUndefined();
    const got = seqs(store, 'a');
    expect(got[0]).toBe(951);
    expect(got[got.length - 1]).toBe(1000);
  });

  it('pages history over REST when the server says resync_required', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 3; i++) server.add('a', msg(i, { chat_id: 'a' }));
    server.chats = [chat('a', 3, T0)];
    const { store, rt } = await setup(server);
    store.openChat('a');
    await flush(30);
    rt.close();
    for (let i = 4; i <= 700; i++) server.add('a', msg(i, { chat_id: 'a' }));
    rt.open();
    rt.frame({ type: 'resync_required', data: { chat_id: 'a', after_seq: 3 } });
    await flush(30);
    const got = seqs(store, 'a');
    expect(got[got.length - 1]).toBe(700);
    expect(got).toHaveLength(50);
    expect(store.state.timelines.a!.hasOlder).toBe(true);
    // Nothing between 3 and 651 pretends to be there.
    expect(got[0]).toBe(651);
  });

  it('applies edits and deletions, and keeps a deletion over a stale replay', async () => {
    const server = new FakeServer();
    server.add('a', msg(1, { chat_id: 'a' }));
    server.chats = [chat('a', 1, T0)];
    const { store, rt } = await setup(server);
    store.openChat('a');
    await flush(30);
    rt.frame({ type: 'message.edited', data: msg(1, { chat_id: 'a', body: 'edited', edited_at: '2030-01-01T00:00:00Z' }) });
    expect(store.state.timelines.a!.messages[0]!.body).toBe('edited');
    rt.frame({ type: 'message.deleted', data: msg(1, { chat_id: 'a', deleted: true, body: '' }) });
    rt.frame({ type: 'message.new', data: msg(1, { chat_id: 'a' }) });
    expect(store.state.timelines.a!.messages[0]!.deleted).toBe(true);
  });
});

describe('store: optimistic sends', () => {
  it('shows the message at once and settles it exactly once (ack and message.new)', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 0, T0)];
    const { store, rt } = await setup(server);
    rt.open();
    store.openChat('a');
    await flush(30);
    const clientId = store.send('a', { body: 'hello' });
    expect(store.state.timelines.a!.pending.map((p) => p.client_id)).toEqual([clientId]);
    const req = rt.lastRequest('message.send')!;
    expect(req.frame).toMatchObject({ chat_id: 'a', client_id: clientId, body: 'hello' });
    req.opts!.onAck!({ type: 'ack', status: 'accepted', client_id: clientId });
    expect(store.state.timelines.a!.pending[0]!.status).toBe('accepted');
    rt.frame({ type: 'message.new', data: msg(1, { chat_id: 'a', sender_id: 'me', client_id: clientId, body: 'hello' }) });
    req.resolve({ type: 'ack', status: 'stored', client_id: clientId, message_id: 'm1', seq: 1 });
    await flush(30);
    const t = store.state.timelines.a!;
    expect(t.pending).toHaveLength(0);
    expect(t.messages.map((m) => [m.seq, m.body])).toEqual([[1, 'hello']]);
  });

  it('retries after losing the connection with the same client_id; the server stores it once', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 0, T0)];
    const { store, rt } = await setup(server);
    rt.open();
    const clientId = store.send('a', { body: 'once' });
    expect(rt.lastRequest('message.send')!.frame.client_id).toBe(clientId);
    rt.close(); // fate unknown: maybe stored, maybe not
    await flush(30);
    rt.open(); // catch-up flushes the outbox: the same client_id again
    await flush(30);
    const attempts = rt.requests.filter((r) => r.frame.type === 'message.send').map((r) => r.frame.client_id);
    expect(attempts).toEqual([clientId]);
    // The server had stored the first attempt: message.new comes with the sync, then the retry's ack.
    rt.frame({ type: 'message.new', data: msg(1, { chat_id: 'a', sender_id: 'me', client_id: clientId, body: 'once' }) });
    rt.lastRequest('message.send')!.resolve({ type: 'ack', status: 'stored', client_id: clientId, message_id: 'm1', seq: 1 });
    // A duplicate REST attempt would be answered with the stored message, not a new one.
    await server.api().sendMessage('a', { client_id: clientId, body: 'once' });
    await server.api().sendMessage('a', { client_id: clientId, body: 'once' });
    await flush(30);
    expect(server.messages.get('a') ?? []).toHaveLength(1);
    expect(store.state.timelines.a!.messages).toHaveLength(1);
    expect(store.state.timelines.a!.pending).toHaveLength(0);
  });

  it('sends over REST while the socket is down', async () => {
    const server = new FakeServer();
    server.chats = [chat('a', 0, T0)];
    const { store } = await setup(server);
    const clientId = store.send('a', { body: 'via rest' });
    await flush(30);
    expect(server.calls).toContain(`send ${clientId}`);
    expect(store.state.timelines.a!.messages.map((m) => m.body)).toEqual(['via rest']);
    expect(store.state.timelines.a!.pending).toHaveLength(0);
  });
});
