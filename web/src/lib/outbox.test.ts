import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from './api';
import { Outbox, isPermanent, type OutboxItem, type OutboxTransport, type StoredAck } from './outbox';
import { DisconnectedError, FrameError } from './realtime';
import { FakeTimers, MemoryStorage, flush } from '../test/fakes';

interface Call {
  via: 'socket' | 'rest';
  item: OutboxItem;
  resolve: (v: StoredAck) => void;
  reject: (e: unknown) => void;
  accepted: () => void;
}

function setup(opts: { socketOpen?: boolean; storage?: MemoryStorage } = {}) {
  const timers = new FakeTimers();
  const calls: Call[] = [];
  let socketOpen = opts.socketOpen ?? true;
  const transport: OutboxTransport = {
    viaSocket: (item, accepted) => {
      if (!socketOpen) return null;
      return new Promise<StoredAck>((resolve, reject) => calls.push({ via: 'socket', item, resolve, reject, accepted }));
    },
    viaRest: (item) =>
      new Promise((resolve, reject) =>
        calls.push({ via: 'rest', item, resolve: (a) => resolve({ id: a.message_id, seq: a.seq } as never), reject, accepted: () => {} }),
      ),
  };
  const changes: [string, string, boolean][] = [];
  const stored: [string, StoredAck | unknown][] = [];
  const outbox = new Outbox({
    transport,
    onChange: (item, removed) => changes.push([item.client_id, item.status, removed]),
    onStored: (item, s) => stored.push([item.client_id, s]),
    timers,
    random: () => 0.5,
    storage: opts.storage,
    storageKey: opts.storage ? 'outbox' : undefined,
  });
  return {
    outbox,
    timers,
    calls,
    changes,
    stored,
    setSocket: (open: boolean) => (socketOpen = open),
  };
}

const draft = { chat_id: 'c1', sender_id: 'me', body: 'hi', reply_to: null, mentions: [], attachments: [] };

describe('outbox', () => {
  it('sends at once, shows accepted, and is done when stored', async () => {
    const h = setup();
    const item = h.outbox.enqueue(draft);
    expect(h.calls).toHaveLength(1);
    expect(h.outbox.get(item.client_id)?.status).toBe('sending');
    h.calls[0]!.accepted();
    expect(h.outbox.get(item.client_id)?.status).toBe('accepted');
    h.calls[0]!.resolve({ message_id: 'm1', seq: 1 });
    await flush();
    expect(h.outbox.all).toHaveLength(0);
    expect(h.stored).toEqual([[item.client_id, { message_id: 'm1', seq: 1 }]]);
  });

  it('retries with the same client_id after a lost connection or a timeout', async () => {
    const h = setup();
    const item = h.outbox.enqueue(draft);
    h.calls[0]!.reject(new DisconnectedError('no answer'));
    await flush();
    expect(h.outbox.get(item.client_id)?.status).toBe('sending');
    await h.timers.advance(h.timers.nextDelay()!);
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.reject(new FrameError('rate_limited', 'slow down'));
    await flush();
    await h.timers.advance(h.timers.nextDelay()!);
    expect(h.calls).toHaveLength(3);
    expect(new Set(h.calls.map((c) => c.item.client_id))).toEqual(new Set([item.client_id]));
    expect(h.calls.map((c) => c.item.attempts)).toEqual([1, 2, 3]);
  });

  it('falls back to REST when the socket is down, with the same client_id', async () => {
    const h = setup({ socketOpen: false });
    const item = h.outbox.enqueue(draft);
    expect(h.calls[0]!.via).toBe('rest');
    h.calls[0]!.reject(new NetworkError());
    await flush();
    h.setSocket(true);
    h.outbox.flush(); // the connection came back
    expect(h.calls[1]!.via).toBe('socket');
    expect(h.calls[1]!.item.client_id).toBe(item.client_id);
  });

  it('never has two attempts of one message in flight', async () => {
    const h = setup();
    h.outbox.enqueue(draft);
    h.outbox.flush();
    h.outbox.flush();
    expect(h.calls).toHaveLength(1);
  });

  it('gives up on refusals a retry cannot fix, until the user retries', async () => {
    const h = setup();
    const item = h.outbox.enqueue(draft);
    h.calls[0]!.reject(new FrameError('invalid_body', 'too long'));
    await flush();
    expect(h.outbox.get(item.client_id)).toMatchObject({ status: 'failed', error: 'too long' });
    await h.timers.advance(120_000);
    expect(h.calls).toHaveLength(1);
    h.outbox.retry(item.client_id);
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]!.item.client_id).toBe(item.client_id);
  });

  it('treats REST 4xx as final and 5xx as retryable', async () => {
    const h = setup({ socketOpen: false });
    const a = h.outbox.enqueue(draft);
    const b = h.outbox.enqueue({ ...draft, body: 'b' });
    h.calls[0]!.reject(new ApiError(404, 'chat_not_found', 'no such chat'));
    h.calls[1]!.reject(new ApiError(503, 'unavailable', 'busy'));
    await flush();
    expect(h.outbox.get(a.client_id)?.status).toBe('failed');
    expect(h.outbox.get(b.client_id)?.status).toBe('sending');
  });

  it('is settled by the message arriving another way, and ignores the late ack', async () => {
    const h = setup();
    const item = h.outbox.enqueue(draft);
    h.outbox.settled(item.client_id); // message.new came first
    expect(h.outbox.all).toHaveLength(0);
    h.calls[0]!.reject(new DisconnectedError());
    await flush();
    await h.timers.advance(60_000);
    expect(h.calls).toHaveLength(1); // no retry of a stored message
  });

  it('survives a reload: unsent messages are kept and retried with their client_id', async () => {
    const storage = new MemoryStorage();
    const first = setup({ storage });
    const item = first.outbox.enqueue(draft);
    first.calls[0]!.accepted();
    const second = setup({ storage, socketOpen: true });
    expect(second.outbox.all.map((i) => [i.client_id, i.status])).toEqual([[item.client_id, 'sending']]);
    second.outbox.flush();
    expect(second.calls[0]!.item.client_id).toBe(item.client_id);
    second.calls[0]!.resolve({ message_id: 'm1', seq: 1 });
    await flush();
    expect(storage.getItem('outbox')).toBeNull();
  });
});

describe('isPermanent', () => {
  it('retries what a server part being down or busy refused, and nothing the request itself caused', () => {
    for (const code of ['rate_limited', 'storage_busy', 'internal', 'log_unavailable', 'storage_unavailable',
      'upstream_unavailable', 'keys_unavailable', 'seq_contention', 'send_queue_full'])
      expect(isPermanent(new FrameError(code, 'x')), code).toBe(false);
    for (const code of ['invalid_body', 'chat_not_found', 'not_author', 'invalid_client_id'])
      expect(isPermanent(new FrameError(code, 'x')), code).toBe(true);
  });
});
