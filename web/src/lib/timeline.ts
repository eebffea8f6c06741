// One chat's messages as the client holds them: stored messages unique by `seq` and in
// `seq` order, plus the user's own messages that are not stored yet (optimistic, keyed by
// `client_id`). Pure functions over immutable values: whatever order and however often
// messages arrive (live, replayed by sync, paged over REST, acked), the result is the same.

import type { Attachment, Message, ReactionData } from './types';

export type SendStatus = 'sending' | 'accepted' | 'failed';

export interface PendingMessage {
  client_id: string;
  chat_id: string;
  sender_id: string;
  body: string;
  reply_to: string | null;
  mentions: string[];
  attachments: Attachment[];
  created_at: string;
  status: SendStatus;
  error?: string;
}

export interface Timeline {
  /** Ascending by seq, one entry per seq. */
  messages: Message[];
  /** Not yet stored, in the order they were written. */
  pending: PendingMessage[];
  /** Whether older messages exist before messages[0]. */
  hasOlder: boolean;
  /** Whether the newest page was loaded (the timeline reaches the chat's end). */
  loaded: boolean;
}

export const emptyTimeline: Timeline = { messages: [], pending: [], hasOlder: true, loaded: false };

function time(s: string | null | undefined): number {
  return s ? Date.parse(s) || 0 : 0;
}

/**
 * The newer of two versions of the same message: a deletion is final, a later edit wins,
 * and reactions (present in history pages only) are kept from whichever version has them.
 */
export function newerVersion(old: Message, next: Message): Message {
  if (old.deleted && !next.deleted) return old;
  if (
    old.id === next.id &&
    old.body === next.body &&
    old.edited_at === next.edited_at &&
    old.deleted === next.deleted &&
    (next.reactions === undefined || JSON.stringify(next.reactions) === JSON.stringify(old.reactions))
  )
    return old; // the same version again
  if (!next.deleted && !old.deleted && time(old.edited_at) > time(next.edited_at)) {
    return next.reactions && !old.reactions ? { ...old, reactions: next.reactions } : old;
  }
  const reactions = next.deleted ? [] : (next.reactions ?? old.reactions);
  return { ...old, ...next, reactions };
}

/** Adds or updates stored messages; drops pending copies they settle. */
export function mergeMessages(t: Timeline, incoming: readonly Message[]): Timeline {
  if (incoming.length === 0) return t;
  const bySeq = new Map<number, Message>();
  for (const m of t.messages) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    const old = bySeq.get(m.seq);
    const next = old ? newerVersion(old, m) : m;
    if (next !== old) {
      bySeq.set(m.seq, next);
      changed = true;
    }
  }
  const settled = new Set(incoming.map((m) => `${m.sender_id}\u0000${m.client_id}`));
  const pending = t.pending.filter((p) => !settled.has(`${p.sender_id}\u0000${p.client_id}`));
  if (!changed && pending.length === t.pending.length) return t;
  const messages = changed ? [...bySeq.values()].sort((a, b) => a.seq - b.seq) : t.messages;
  return { ...t, messages, pending };
}

/** An older page (scrolling back): merged, and whether anything remains before it. */
export function mergeOlder(t: Timeline, page: readonly Message[], limit: number): Timeline {
  const merged = mergeMessages(t, page);
  const first = merged.messages[0];
  const hasOlder = page.length >= limit && !!first && first.seq > 1;
  return merged.hasOlder === hasOlder ? merged : { ...merged, hasOlder };
}

/** The newest page (opening the chat, or after resync_required). */
export function mergeNewest(t: Timeline, page: readonly Message[], limit: number): Timeline {
  const merged = mergeMessages(t, page);
  const first = merged.messages[0];
  const hasOlder = t.loaded ? t.hasOlder : page.length >= limit && !!first && first.seq > 1;
  return { ...merged, loaded: true, hasOlder: hasOlder && !!first && first.seq > 1 };
}

/** After resync_required: the gap is too big to page forward, so start again from the end. */
export function resetTo(page: readonly Message[], limit: number, pending: PendingMessage[]): Timeline {
  return mergeNewest({ ...emptyTimeline, pending }, page, limit);
}

export function applyDeleted(t: Timeline, m: Message): Timeline {
  return mergeMessages(t, [{ ...m, deleted: true, body: '', attachments: [], mentions: [], reactions: [] }]);
}

export function applyReaction(t: Timeline, r: ReactionData): Timeline {
  const i = t.messages.findIndex((m) => m.id === r.message_id);
  if (i < 0) return t;
  const m = t.messages[i]!;
  const others = (m.reactions ?? []).filter((x) => x.user_id !== r.user_id);
  const reactions = r.emoji ? [...others, { user_id: r.user_id, emoji: r.emoji }] : others;
  const messages = t.messages.slice();
  messages[i] = { ...m, reactions };
  return { ...t, messages };
}

/**
 * The highest seq up to which the timeline has no holes, starting from its first message;
 * `known` when the timeline is empty. This is what `sync` asks to continue from.
 */
export function contiguousHigh(t: Timeline, known = 0): number {
  if (t.messages.length === 0) return known;
  let high = t.messages[0]!.seq;
  for (const m of t.messages) {
    if (m.seq > high + 1) break;
    high = m.seq;
  }
  return high;
}

/** The first hole among the loaded messages, as an exclusive (after, before) range. */
export function firstGap(t: Timeline): { after: number; before: number } | null {
  for (let i = 1; i < t.messages.length; i++) {
    const a = t.messages[i - 1]!.seq;
    const b = t.messages[i]!.seq;
    if (b > a + 1) return { after: a, before: b };
  }
  return null;
}

export function lastSeq(t: Timeline): number {
  return t.messages.length ? t.messages[t.messages.length - 1]!.seq : 0;
}

export function addPending(t: Timeline, p: PendingMessage): Timeline {
  if (t.pending.some((x) => x.client_id === p.client_id)) return updatePending(t, p.client_id, p);
  // Already stored (e.g. the message came back before this call): nothing to show twice.
  if (t.messages.some((m) => m.client_id === p.client_id && m.sender_id === p.sender_id)) return t;
  return { ...t, pending: [...t.pending, p] };
}

export function updatePending(t: Timeline, clientId: string, patch: Partial<PendingMessage>): Timeline {
  const i = t.pending.findIndex((p) => p.client_id === clientId);
  if (i < 0) return t;
  const pending = t.pending.slice();
  pending[i] = { ...pending[i]!, ...patch };
  return { ...t, pending };
}

export function removePending(t: Timeline, clientId: string): Timeline {
  const pending = t.pending.filter((p) => p.client_id !== clientId);
  return pending.length === t.pending.length ? t : { ...t, pending };
}

/** The stored form of one's own message, built from the pending copy and its `stored` ack. */
export function storedFromAck(
  p: PendingMessage,
  ack: { message_id: string; seq: number; created_at?: string },
): Message {
  return {
    id: ack.message_id,
    chat_id: p.chat_id,
    seq: ack.seq,
    sender_id: p.sender_id,
    client_id: p.client_id,
    body: p.body,
    attachments: p.attachments,
    reply_to: p.reply_to,
    mentions: [...p.mentions].sort(),
    created_at: ack.created_at ?? p.created_at,
    edited_at: null,
    deleted: false,
  };
}
