// What the conversation view shows, derived from the state: rows grouped by day and
// sender, and the delivery state of one's own messages.

import { dayKey, dayLabel } from './text';
import type { PendingMessage, Timeline } from './timeline';
import type { Message, ReadCursor } from './types';

export type Tick = 'sending' | 'accepted' | 'stored' | 'delivered' | 'read' | 'failed';

export const TICK_LABEL: Record<Tick, string> = {
  sending: 'Sending',
  accepted: 'Accepted by the server',
  stored: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
};

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'message'; key: string; message: Message; first: boolean; last: boolean }
  | { kind: 'pending'; key: string; pending: PendingMessage; first: boolean; last: boolean };

const GROUP_GAP_MS = 5 * 60_000;

interface Item {
  key: string;
  sender: string;
  at: string;
  row: (first: boolean, last: boolean) => Row;
}

/** Day separators, and runs of messages by one sender within a few minutes of each other. */
export function buildRows(t: Timeline, now = new Date()): Row[] {
  const items: Item[] = [
    ...t.messages.map((m) => ({
      key: `m${m.seq}`,
      sender: m.sender_id,
      at: m.created_at,
      row: (first: boolean, last: boolean): Row => ({ kind: 'message', key: `m${m.id}`, message: m, first, last }),
    })),
    ...t.pending.map((p) => ({
      key: `p${p.client_id}`,
      sender: p.sender_id,
      at: p.created_at,
      row: (first: boolean, last: boolean): Row => ({ kind: 'pending', key: `p${p.client_id}`, pending: p, first, last }),
    })),
  ];
  const rows: Row[] = [];
  let lastDay = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const day = dayKey(it.at);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `d${day}`, label: dayLabel(it.at, now) });
      lastDay = day;
    }
    const prev = items[i - 1];
    const next = items[i + 1];
    const joins = (a: Item | undefined, b: Item) =>
      !!a && a.sender === b.sender && dayKey(a.at) === dayKey(b.at) && Math.abs(Date.parse(b.at) - Date.parse(a.at)) < GROUP_GAP_MS;
    rows.push(it.row(!joins(prev, it), !(next && joins(it, next))));
  }
  return rows;
}

/**
 * Cursors of the other members as far as the client can tell: receipts seen live, and the
 * fact that sending marks a chat read by its sender (a member who sent seq N has read N).
 */
export function knownCursors(
  t: Timeline,
  others: readonly string[],
  receipts: Record<string, ReadCursor> | undefined,
): Record<string, ReadCursor> {
  const out: Record<string, ReadCursor> = {};
  for (const u of others) out[u] = { read_seq: receipts?.[u]?.read_seq ?? 0, delivered_seq: receipts?.[u]?.delivered_seq ?? 0 };
  for (const m of t.messages) {
    const c = out[m.sender_id];
    if (c && m.seq > c.read_seq) c.read_seq = m.seq;
  }
  for (const c of Object.values(out)) c.delivered_seq = Math.max(c.delivered_seq, c.read_seq);
  return out;
}

export interface TickInfo {
  tick: Tick;
  readBy: number;
  deliveredTo: number;
  of: number;
}

/** The delivery state of one's own stored message. */
export function tickOf(seq: number, cursors: Record<string, ReadCursor>): TickInfo {
  const all = Object.values(cursors);
  const readBy = all.filter((c) => c.read_seq >= seq).length;
  const deliveredTo = all.filter((c) => c.delivered_seq >= seq).length;
  const of = all.length;
  let tick: Tick = 'stored';
  if (of > 0 && readBy === of) tick = 'read';
  else if (deliveredTo > 0) tick = 'delivered';
  return { tick, readBy, deliveredTo, of };
}

export function pendingTick(p: PendingMessage): Tick {
  return p.status === 'failed' ? 'failed' : p.status === 'accepted' ? 'accepted' : 'sending';
}

/** One line of a message for the chat list and reply previews. */
export function previewOf(m: Pick<Message, 'body' | 'deleted' | 'attachments'>): string {
  if (m.deleted) return 'Message deleted';
  const body = m.body.replace(/\s+/g, ' ').trim();
  if (body) return body;
  const a = m.attachments[0];
  if (!a) return '';
  const what = a.content_type.startsWith('image/') ? 'Photo' : a.content_type.startsWith('video/') ? 'Video' : a.name;
  return m.attachments.length > 1 ? `${what} and ${m.attachments.length - 1} more` : what;
}
