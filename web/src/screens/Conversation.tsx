import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { navigate } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { Modal } from '../components/Modal';
import { chatTitle, nameOf, partnerOf } from '../components/names';
import { describeError } from '../lib/api';
import { lastSeenText } from '../lib/text';
import { emptyTimeline } from '../lib/timeline';
import type { Message, PublicProfile } from '../lib/types';
import { buildRows, knownCursors } from '../lib/view';
import { Composer, type ComposerMode } from './Composer';
import { MessageItem, PendingItem } from './MessageItem';

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function typingText(names: string[]): string {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

export function Conversation({ chatId }: { chatId: string }) {
  const store = useStore();
  const chat = useAppState((s) => s.chats[chatId]);
  const details = useAppState((s) => s.details[chatId]);
  const timeline = useAppState((s) => s.timelines[chatId]) ?? emptyTimeline;
  const loadingOlder = useAppState((s) => !!s.loadingOlder[chatId]);
  const users = useAppState((s) => s.users);
  const presence = useAppState((s) => s.presence);
  const typing = useAppState((s) => s.typing[chatId]);
  const receipts = useAppState((s) => s.receipts[chatId]);
  const me = useAppState((s) => s.me?.id ?? '');
  const chatsLoaded = useAppState((s) => s.chatsLoaded);
  const connection = useAppState((s) => s.connection);
  const removed = useAppState((s) => !!s.removedChats[chatId]);
  const now = useNow(30_000);
  const [mode, setMode] = useState<ComposerMode>({ kind: 'new' });
  const [confirmDelete, setConfirmDelete] = useState<Message | null>(null);
  const [error, setError] = useState<string | null>(null);

  const kind = chat?.kind ?? details?.kind;
  const members = details?.members ?? [];
  const memberIds = useMemo(
    () => (details ? details.members.map((m) => m.user_id) : chat?.member_ids ?? []),
    [details, chat?.member_ids],
  );
  const others = useMemo(() => memberIds.filter((id) => id !== me), [memberIds, me]);
  const partner = kind === 'direct' ? (chat ? partnerOf(chat, me) : others[0] ?? null) : null;
  const title = chat ? chatTitle(chat, me, users) : kind === 'group' ? details?.name ?? '' : nameOf(users, partner);
  const myRole = members.find((m) => m.user_id === me)?.role ?? 'member';

  const usernames = useMemo(() => {
    const map = new Map<string, string>();
    for (const id of memberIds) {
      const u = users[id];
      if (u) map.set(u.username.toLowerCase(), id);
    }
    return map;
  }, [memberIds, users]);
  const memberProfiles = useMemo(
    () => memberIds.map((id) => users[id]).filter((u): u is PublicProfile => !!u && u.id !== me),
    [memberIds, users, me],
  );

  const cursors = useMemo(() => knownCursors(timeline, others, receipts), [timeline, others, receipts]);
  const rows = useMemo(() => buildRows(timeline, new Date(now)), [timeline, now]);
  const byId = useMemo(() => new Map(timeline.messages.map((m) => [m.id, m])), [timeline.messages]);

  const typers = Object.entries(typing ?? {})
    .filter(([, at]) => at > Date.now() - 100)
    .map(([u]) => nameOf(users, u).split(' ')[0]!);
  let subtitle: string;
  let subtitleClass = 'muted';
  if (connection !== 'online') {
    // Presence and typing are stale while disconnected.
    subtitle = connection === 'offline' ? 'waiting for network…' : 'connecting…';
  } else if (typers.length) {
    subtitle = kind === 'group' ? typingText(typers) : 'typing…';
    subtitleClass = 'typing';
  } else if (kind === 'direct' && partner) {
    const p = presence[partner];
    subtitle = p?.online ? 'online' : lastSeenText(p?.last_seen ?? null, now);
    if (p?.online) subtitleClass = 'online';
  } else {
    const online = members.filter((m) => m.user_id !== me && presence[m.user_id]?.online).length;
    subtitle = `${members.length || '…'} members${online ? `, ${online} online` : ''}`;
  }

  // ---- scrolling ----
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const snap = useRef({ height: 0, top: 0, firstSeq: 0, atBottom: true });
  const [showJump, setShowJump] = useState(false);

  const toBottom = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    snap.current.atBottom = true;
    setShowJump(false);
  }, []);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const s = snap.current;
    const firstSeq = timeline.messages[0]?.seq ?? 0;
    if (s.firstSeq && firstSeq && firstSeq < s.firstSeq) el.scrollTop = s.top + (el.scrollHeight - s.height);
    else if (s.atBottom) el.scrollTop = el.scrollHeight;
    snap.current = { height: el.scrollHeight, top: el.scrollTop, firstSeq, atBottom: s.atBottom };
  }, [rows, typers.length]);

  // Images load after layout: keep the bottom in view while following the conversation.
  useEffect(() => {
    const el = content.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      const sc = scroller.current;
      if (sc && snap.current.atBottom) sc.scrollTop = sc.scrollHeight;
      if (sc) snap.current.height = sc.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const maybeLoadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || !timeline.loaded || !timeline.hasOlder || loadingOlder) return;
    if (el.scrollTop < 400) void store.loadOlder(chatId).catch(() => undefined);
  }, [store, chatId, timeline.loaded, timeline.hasOlder, loadingOlder]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    snap.current.top = el.scrollTop;
    snap.current.height = el.scrollHeight;
    snap.current.atBottom = atBottom;
    setShowJump(!atBottom);
    maybeLoadOlder();
  };
  // A short history that does not fill the view: load more right away.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollHeight <= el.clientHeight + 50) maybeLoadOlder();
  }, [rows, maybeLoadOlder]);

  if (removed || (chatsLoaded && !chat && !details)) {
    return (
      <section className="conversation">
        <div className="empty-state">
          <h2>{removed ? 'You are no longer in this chat' : 'Chat not found'}</h2>
          <button type="button" className="button" onClick={() => navigate('/chats')}>
            Back to chats
          </button>
        </div>
      </section>
    );
  }

  const startReply = (m: Message) => setMode({ kind: 'reply', message: m });
  const startEdit = (m: Message) => setMode({ kind: 'edit', message: m });
  const react = (m: Message, emoji: string) => {
    store.react(chatId, m.id, emoji).catch((e) => setError(describeError(e)));
  };
  const doDelete = async () => {
    const m = confirmDelete;
    setConfirmDelete(null);
    if (!m) return;
    try {
      await store.remove(chatId, m.id);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <section className="conversation" aria-label={`Conversation with ${title}`} data-chat-id={chatId}>
      <header className="conversation-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/chats')} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <Avatar
          name={title || '…'}
          seed={partner ?? chatId}
          url={kind === 'group' ? chat?.avatar_url ?? details?.avatar_url : partner ? users[partner]?.avatar_url : undefined}
          online={partner ? connection === 'online' && !!presence[partner]?.online : undefined}
          group={kind === 'group'}
          size={40}
        />
        <div className="conversation-title">
          <h2>{title || '…'}</h2>
          <p className={`conversation-subtitle ${subtitleClass}`} data-testid="conversation-status" aria-live="polite">
            {subtitle}
          </p>
        </div>
        {kind === 'group' && (
          <button
            type="button"
            className="icon-button"
            onClick={() => navigate(`/chats/${chatId}/settings`)}
            aria-label="Group settings"
          >
            <Icon name="settings" />
          </button>
        )}
      </header>

      <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Messages">
        <div className="messages-inner" ref={content} role="log" aria-live="polite" aria-relevant="additions">
          {timeline.loaded && !timeline.hasOlder && (
            <div className="history-start">
              {kind === 'group' ? `This is the beginning of ${title}.` : `This is the beginning of your conversation with ${title}.`}
            </div>
          )}
          {(loadingOlder || !timeline.loaded) && (
            <div className="history-loading" aria-busy="true">
              <span className="spinner" /> Loading messages…
            </div>
          )}
          {rows.map((r) => {
            if (r.kind === 'day')
              return (
                <div key={r.key} className="day-separator" role="separator">
                  <span>{r.label}</span>
                </div>
              );
            if (r.kind === 'pending')
              return (
                <PendingItem
                  key={r.key}
                  pending={r.pending}
                  first={r.first}
                  last={r.last}
                  usernames={usernames}
                  me={me}
                  replyTo={r.pending.reply_to ? byId.get(r.pending.reply_to) : undefined}
                  users={users}
                  onRetry={() => store.retrySend(r.pending.client_id)}
                  onDiscard={() => store.discardSend(r.pending.client_id)}
                />
              );
            const m = r.message;
            return (
              <MessageItem
                key={r.key}
                chatId={chatId}
                message={m}
                first={r.first}
                last={r.last}
                mine={m.sender_id === me}
                group={kind === 'group'}
                me={me}
                users={users}
                usernames={usernames}
                cursors={cursors}
                replyTo={m.reply_to ? byId.get(m.reply_to) : undefined}
                canDelete={m.sender_id === me || (kind === 'group' && (myRole === 'admin' || myRole === 'owner'))}
                onReply={startReply}
                onEdit={startEdit}
                onDelete={setConfirmDelete}
                onReact={react}
              />
            );
          })}
          {typers.length > 0 && (
            <div className="typing-indicator" data-testid="typing-indicator">
              <span className="dots" aria-hidden="true">
                <i />
                <i />
                <i />
              </span>
              {typingText(typers)}
            </div>
          )}
        </div>
      </div>
      {showJump && (
        <button type="button" className="jump-button" onClick={toBottom} aria-label="Jump to the latest messages">
          <Icon name="arrowDown" />
          {chat && chat.unread_count > 0 && <span className="badge small">{chat.unread_count}</span>}
        </button>
      )}
      {error && (
        <div className="toast" role="alert">
          {error}
          <button type="button" className="icon-button" onClick={() => setError(null)} aria-label="Dismiss">
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      <Composer
        chatId={chatId}
        mode={mode}
        setMode={setMode}
        members={memberProfiles}
        usernames={usernames}
        users={users}
        onSent={toBottom}
        onError={setError}
      />
      {confirmDelete && (
        <Modal title="Delete message?" onClose={() => setConfirmDelete(null)}>
          <p>The message is removed for everyone in this chat. This cannot be undone.</p>
          <div className="row gap end">
            <button type="button" className="button" onClick={() => setConfirmDelete(null)}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={() => void doDelete()}>
              Delete
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
