// Message text → segments to render as React text nodes and safe links. Nothing here
// produces HTML: the caller renders every segment as text, so markup in a message stays
// visible characters.

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'mention'; text: string; userId: string };

// http(s)://… or www.… up to whitespace or a character that cannot end a URL in prose.
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

/** The href for a URL written in a message, or null when it is not http(s). */
export function safeHref(raw: string): string | null {
  const candidate = /^www\./i.test(raw) ? `https://${raw}` : raw;
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

function trimUrl(raw: string): string {
  let s = raw.replace(TRAILING, '');
  // Keep a closing parenthesis that closes one inside the URL (Wikipedia links).
  const opens = (raw.match(/\(/g) ?? []).length;
  const closesKept = (s.match(/\)/g) ?? []).length;
  if (raw.endsWith(')') && opens > closesKept && !s.endsWith(')')) s += ')';
  return s;
}

/** Splits text into plain text and http(s) links. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    const raw = trimUrl(match[0]);
    const href = safeHref(raw);
    if (!href) continue;
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    out.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/**
 * Links and, within the plain text, @mentions of the given usernames (lower-case →
 * user id).
 */
export function segmentsOf(text: string, usernames: ReadonlyMap<string, string>): Segment[] {
  const out: Segment[] = [];
  for (const seg of linkify(text)) {
    if (seg.kind !== 'text' || usernames.size === 0) {
      out.push(seg);
      continue;
    }
    let last = 0;
    for (const m of seg.text.matchAll(/(^|[^\w@])@([a-zA-Z][a-zA-Z0-9_]{2,31})\b/g)) {
      const userId = usernames.get(m[2]!.toLowerCase());
      if (!userId) continue;
      const at = (m.index ?? 0) + m[1]!.length;
      if (at > last) out.push({ kind: 'text', text: seg.text.slice(last, at) });
      out.push({ kind: 'mention', text: `@${m[2]}`, userId });
      last = at + 1 + m[2]!.length;
    }
    if (last < seg.text.length) out.push({ kind: 'text', text: seg.text.slice(last) });
  }
  return out;
}

/** The @query being typed at the caret, if any: where it starts and what it says so far. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([a-zA-Z0-9_]{0,32})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}

/** User ids of the usernames mentioned as @name in the text (members only). */
export function mentionedIds(text: string, usernames: ReadonlyMap<string, string>): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(/(^|[^\w@])@([a-zA-Z][a-zA-Z0-9_]{2,31})\b/g)) {
    const id = usernames.get(m[2]!.toLowerCase());
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

export interface Named {
  id: string;
  username: string;
  display_name: string;
}

/** Members whose username or display name starts with the query (or has a word that does). */
export function suggestMentions<T extends Named>(people: readonly T[], query: string, limit = 6): T[] {
  const q = query.toLowerCase();
  const score = (p: T): number => {
    const u = p.username.toLowerCase();
    const d = p.display_name.toLowerCase();
    if (u.startsWith(q)) return 0;
    if (d.startsWith(q)) return 1;
    if (d.split(/\s+/).some((w) => w.startsWith(q))) return 2;
    return -1;
  };
  return people
    .map((p) => [p, score(p)] as const)
    .filter(([, s]) => s >= 0)
    .sort((a, b) => a[1] - b[1] || a[0].username.localeCompare(b[0].username))
    .slice(0, limit)
    .map(([p]) => p);
}

// ---- time ----

export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days < 7 && days > 0) return d.toLocaleDateString(undefined, { weekday: 'long' });
  return d.toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "12:04", "Mon", "3 Mar" — for the chat list. */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (dayKey(iso) === dayKey(now.toISOString())) return clockTime(iso);
  if (days < 6) return d.toLocaleDateString(undefined, { weekday: 'short' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export function lastSeenText(lastSeen: string | null, now = Date.now()): string {
  if (!lastSeen) return 'offline';
  const s = Math.max(0, (now - Date.parse(lastSeen)) / 1000);
  if (s < 60) return 'last seen just now';
  if (s < 3600) return `last seen ${Math.floor(s / 60)} min ago`;
  if (s < 86_400 && dayKey(lastSeen) === dayKey(new Date(now).toISOString())) return `last seen today at ${clockTime(lastSeen)}`;
  if (s < 172_800) return `last seen yesterday at ${clockTime(lastSeen)}`;
  return `last seen ${new Date(lastSeen).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]!][0] ?? '';
  const second = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + second).toUpperCase();
}
