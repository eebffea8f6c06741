import { describe, expect, it } from 'vitest';
import { msg } from '../test/fakes';
import { emptyTimeline, mergeMessages, addPending } from './timeline';
import { buildRows, knownCursors, previewOf, tickOf } from './view';

describe('rows', () => {
  it('groups consecutive messages by sender and separates days', () => {
    const day1 = '2024-05-01T10:00:00Z';
    const t = mergeMessages(emptyTimeline, [
      msg(1, { sender_id: 'a', created_at: day1 }),
      msg(2, { sender_id: 'a', created_at: '2024-05-01T10:01:00Z' }),
      msg(3, { sender_id: 'b', created_at: '2024-05-01T10:02:00Z' }),
      msg(4, { sender_id: 'b', created_at: '2024-05-02T10:02:00Z' }),
    ]);
    const rows = buildRows(t, new Date('2024-06-01T12:00:00Z'));
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'message', 'message', 'day', 'message']);
    const flags = rows.filter((r) => r.kind === 'message').map((r) => (r.kind === 'message' ? [r.first, r.last] : null));
    expect(flags).toEqual([
      [true, false],
      [false, true],
      [true, true],
      [true, true],
    ]);
  });

  it('puts pending messages after the stored ones', () => {
    let t = mergeMessages(emptyTimeline, [msg(1, { created_at: new Date().toISOString() })]);
    t = addPending(t, {
      client_id: 'x',
      chat_id: 'c1',
      sender_id: 'me',
      body: 'hi',
      reply_to: null,
      mentions: [],
      attachments: [],
      created_at: new Date().toISOString(),
      status: 'sending',
    });
    const kinds = buildRows(t).map((r) => r.kind);
    expect(kinds).toEqual(['day', 'message', 'pending']);
  });
});

describe('ticks', () => {
  it('goes from sent to delivered to read with the receipts', () => {
    const t = mergeMessages(emptyTimeline, [msg(1, { sender_id: 'me' }), msg(2, { sender_id: 'me' })]);
    let c = knownCursors(t, ['bob'], undefined);
    expect(tickOf(2, c).tick).toBe('stored');
    c = knownCursors(t, ['bob'], { bob: { read_seq: 0, delivered_seq: 2 } });
    expect(tickOf(2, c).tick).toBe('delivered');
    c = knownCursors(t, ['bob'], { bob: { read_seq: 2, delivered_seq: 2 } });
    expect(tickOf(2, c).tick).toBe('read');
  });

  it('knows that whoever sent seq N has read everything up to N', () => {
    const t = mergeMessages(emptyTimeline, [msg(1, { sender_id: 'me' }), msg(2, { sender_id: 'bob' }), msg(3, { sender_id: 'me' })]);
    const c = knownCursors(t, ['bob'], undefined);
    expect(tickOf(1, c).tick).toBe('read');
    expect(tickOf(3, c).tick).toBe('stored');
  });

  it('in a group, is read when everyone read and counts readers', () => {
    const t = mergeMessages(emptyTimeline, [msg(1, { sender_id: 'me' })]);
    const c = knownCursors(t, ['a', 'b'], { a: { read_seq: 1, delivered_seq: 1 } });
    expect(tickOf(1, c)).toEqual({ tick: 'delivered', readBy: 1, deliveredTo: 1, of: 2 });
  });

  it('previews deleted messages and attachments', () => {
    expect(previewOf({ body: '', deleted: true, attachments: [] })).toBe('Message deleted');
    expect(previewOf({ body: '', deleted: false, attachments: [{ key: 'k', name: 'a.png', content_type: 'image/png', size: 1 }] })).toBe('Photo');
    expect(previewOf({ body: ' two\nlines ', deleted: false, attachments: [] })).toBe('two lines');
  });
});
