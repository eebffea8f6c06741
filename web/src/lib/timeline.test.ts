import { describe, expect, it } from 'vitest';
import { msg } from '../test/fakes';
import {
  addPending,
  applyDeleted,
  applyReaction,
  contiguousHigh,
  emptyTimeline,
  firstGap,
  mergeMessages,
  mergeNewest,
  mergeOlder,
  storedFromAck,
  type PendingMessage,
} from './timeline';

const seqs = (t: { messages: { seq: number }[] }) => t.messages.map((m) => m.seq);

function pending(client_id: string, patch: Partial<PendingMessage> = {}): PendingMessage {
  return {
    client_id,
    chat_id: 'c1',
    sender_id: 'me',
    body: 'hi',
    reply_to: null,
    mentions: [],
    attachments: [],
    created_at: new Date().toISOString(),
    status: 'sending',
    ...patch,
  };
}

describe('timeline ordering and dedup', () => {
  it('keeps messages in seq order whatever order they arrive in', () => {
    let t = mergeMessages(emptyTimeline, [msg(5), msg(2)]);
    t = mergeMessages(t, [msg(4), msg(1), msg(3)]);
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5]);
  });

  it('holds one entry per seq however often a message arrives', () => {
    let t = mergeMessages(emptyTimeline, [msg(1), msg(2)]);
    t = mergeMessages(t, [msg(2), msg(2), msg(1)]); // replayed by sync, paged over REST…
    t = mergeMessages(t, [msg(3), msg(3)]);
    expect(seqs(t)).toEqual([1, 2, 3]);
  });

  it('returns the same object when nothing changed (no needless renders)', () => {
    const t = mergeMessages(emptyTimeline, [msg(1), msg(2)]);
    expect(mergeMessages(t, [msg(2)])).toBe(t);
    expect(mergeMessages(t, [])).toBe(t);
  });

  it('lets a later edit win and never resurrects a deleted message', () => {
    const edited = msg(1, { body: 'new', edited_at: new Date(1_800_000_000_000).toISOString() });
    let t = mergeMessages(emptyTimeline, [edited]);
    t = mergeMessages(t, [msg(1)]); // a stale copy from an older page
    expect(t.messages[0]!.body).toBe('new');
    t = applyDeleted(t, msg(1));
    t = mergeMessages(t, [edited]); // replay of the live version
    expect(t.messages[0]!.deleted).toBe(true);
    expect(t.messages[0]!.body).toBe('');
  });

  it('keeps reactions from history when a live copy (without reactions) arrives', () => {
    let t = mergeMessages(emptyTimeline, [msg(1, { reactions: [{ user_id: 'u3', emoji: '👍' }] })]);
    t = mergeMessages(t, [msg(1, { body: 'changed', edited_at: new Date(1_800_000_000_000).toISOString() })]);
    expect(t.messages[0]!.reactions).toEqual([{ user_id: 'u3', emoji: '👍' }]);
    expect(t.messages[0]!.body).toBe('changed');
  });

  it('applies, replaces and removes one reaction per user', () => {
    let t = mergeMessages(emptyTimeline, [msg(1, { reactions: [] })]);
    t = applyReaction(t, { chat_id: 'c1', message_id: 'm1', user_id: 'a', emoji: '👍' });
    t = applyReaction(t, { chat_id: 'c1', message_id: 'm1', user_id: 'b', emoji: '🎉' });
    t = applyReaction(t, { chat_id: 'c1', message_id: 'm1', user_id: 'a', emoji: '❤️' });
    expect(t.messages[0]!.reactions).toEqual([
      { user_id: 'b', emoji: '🎉' },
      { user_id: 'a', emoji: '❤️' },
    ]);
    t = applyReaction(t, { chat_id: 'c1', message_id: 'm1', user_id: 'b', emoji: null });
    expect(t.messages[0]!.reactions).toEqual([{ user_id: 'a', emoji: '❤️' }]);
  });
});

describe('optimistic messages', () => {
  it('settles a pending message when its stored copy arrives, by sender and client_id', () => {
    let t = addPending(emptyTimeline, pending('abc'));
    t = addPending(t, pending('def'));
    expect(t.pending.map((p) => p.client_id)).toEqual(['abc', 'def']);
    // Someone else's message with the same client_id settles nothing.
    t = mergeMessages(t, [msg(1, { sender_id: 'other', client_id: 'abc' })]);
    expect(t.pending).toHaveLength(2);
    t = mergeMessages(t, [msg(2, { sender_id: 'me', client_id: 'abc' })]);
    expect(t.pending.map((p) => p.client_id)).toEqual(['def']);
  });

  it('does not show a message twice when the ack and message.new both arrive', () => {
    const p = pending('abc', { body: 'hello' });
    let t = addPending(emptyTimeline, p);
    const fromAck = storedFromAck(p, { message_id: 'm7', seq: 7, created_at: p.created_at });
    const live = msg(7, { id: 'm7', sender_id: 'me', client_id: 'abc', body: 'hello' });
    t = mergeMessages(t, [live]);
    t = mergeMessages(t, [fromAck]);
    expect(t.pending).toHaveLength(0);
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]!.id).toBe('m7');
  });

  it('does not re-add a pending copy of something already stored', () => {
    let t = mergeMessages(emptyTimeline, [msg(1, { sender_id: 'me', client_id: 'abc' })]);
    t = addPending(t, pending('abc'));
    expect(t.pending).toHaveLength(0);
  });
});

describe('catch-up cursors', () => {
  it('finds the highest seq without holes and the first hole', () => {
    expect(contiguousHigh(emptyTimeline, 9)).toBe(9);
    let t = mergeMessages(emptyTimeline, [msg(3), msg(4), msg(5), msg(8), msg(9)]);
    expect(contiguousHigh(t)).toBe(5);
    expect(firstGap(t)).toEqual({ after: 5, before: 8 });
    t = mergeMessages(t, [msg(6), msg(7)]);
    expect(contiguousHigh(t)).toBe(9);
    expect(firstGap(t)).toBeNull();
  });

  it('knows whether older history exists', () => {
    const page = Array.from({ length: 50 }, (_, i) => msg(51 + i));
    let t = mergeNewest(emptyTimeline, page, 50);
    expect(t.loaded).toBe(true);
    expect(t.hasOlder).toBe(true);
    t = mergeOlder(t, Array.from({ length: 50 }, (_, i) => msg(1 + i)), 50);
    expect(seqs(t)).toHaveLength(100);
    expect(t.hasOlder).toBe(false); // reached seq 1
    const short = mergeNewest(emptyTimeline, [msg(1), msg(2)], 50);
    expect(short.hasOlder).toBe(false);
  });
});
