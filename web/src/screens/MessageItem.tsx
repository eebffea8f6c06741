import { memo, useEffect, useState } from 'react';
import { useSignedIn } from '../app/context';
import { Icon } from '../components/Icon';
import { MessageText } from '../components/MessageText';
import { nameOf } from '../components/names';
import { clockTime, fileSize } from '../lib/text';
import type { PendingMessage } from '../lib/timeline';
import type { Attachment, Message, PublicProfile, ReadCursor } from '../lib/types';
import { pendingTick, previewOf, TICK_LABEL, tickOf, type Tick } from '../lib/view';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

function Ticks({ tick, title }: { tick: Tick; title: string }) {
  return (
    <span className={`ticks ${tick}`} title={title} aria-label={title} data-tick={tick} role="img">
      {tick === 'sending' && <Icon name="clock" size={13} />}
      {tick === 'failed' && <Icon name="alert" size={13} />}
      {(tick === 'accepted' || tick === 'stored') && <Icon name="check" size={14} />}
      {(tick === 'delivered' || tick === 'read') && (
        <svg className="icon" width="18" height="14" viewBox="0 0 28 20" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M2 11l5 5L18 4" />
          <path d="M12 15l1.5 1.5L26 4" />
        </svg>
      )}
    </span>
  );
}

function MediaAttachment({ chatId, a }: { chatId: string; a: Attachment }) {
  const { media } = useSignedIn();
  const [url, setUrl] = useState<string | null>(() => media.peek(chatId, a.key, a.name));
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    if (!url)
      media.get(chatId, a.key, a.name).then(
        (u) => live && setUrl(u),
        () => live && setFailed(true),
      );
    return () => {
      live = false;
    };
  }, [chatId, a.key, a.name, url, media]);
  const image = a.content_type.startsWith('image/') && a.content_type !== 'image/heic';
  if (image) {
    const w = a.width ?? 320;
    const h = a.height ?? 240;
    const scale = Math.min(1, 320 / w, 320 / h);
    return (
      <a
        className="attachment-image"
        href={url ?? undefined}
        target="_blank"
        rel="noopener noreferrer"
        aria-label={`Open image ${a.name}`}
        style={{ width: Math.round(w * scale), aspectRatio: `${w} / ${h}` }}
      >
        {url ? <img src={url} alt={a.name} loading="lazy" onError={() => setUrl(null)} /> : <span className="attachment-placeholder">{failed ? 'Image unavailable' : ''}</span>}
      </a>
    );
  }
  return (
    <a
      className="attachment-file"
      href={url ?? undefined}
      target="_blank"
      rel="noopener noreferrer"
      download={a.name}
      aria-disabled={!url}
    >
      <Icon name="file" size={22} />
      <span className="attachment-meta">
        <span className="attachment-name">{a.name}</span>
        <span className="attachment-size">{fileSize(a.size)}</span>
      </span>
      <Icon name="download" size={18} />
    </a>
  );
}

function ReplyQuote({ replyTo, users, me }: { replyTo: Message | undefined; users: Record<string, PublicProfile>; me: string }) {
  return (
    <div className="reply-quote">
      <span className="reply-author">{replyTo ? (replyTo.sender_id === me ? 'You' : nameOf(users, replyTo.sender_id)) : 'Reply'}</span>
      <span className="reply-text">{replyTo ? previewOf(replyTo) : 'An earlier message'}</span>
    </div>
  );
}

interface ItemProps {
  chatId: string;
  message: Message;
  first: boolean;
  last: boolean;
  mine: boolean;
  group: boolean;
  me: string;
  users: Record<string, PublicProfile>;
  usernames: ReadonlyMap<string, string>;
  cursors: Record<string, ReadCursor>;
  replyTo: Message | undefined;
  canDelete: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  onDelete: (m: Message) => void;
  onReact: (m: Message, emoji: string) => void;
}

export const MessageItem = memo(function MessageItem(p: ItemProps) {
  const { message: m, mine } = p;
  const [picker, setPicker] = useState(false);
  const [selected, setSelected] = useState(false);
  const tick = mine ? tickOf(m.seq, p.cursors) : null;
  const tickTitle = tick
    ? p.group && tick.of > 1
      ? `${TICK_LABEL[tick.tick]} (read by ${tick.readBy} of ${tick.of})`
      : TICK_LABEL[tick.tick]
    : '';
  const reactions = new Map<string, string[]>();
  for (const r of m.reactions ?? []) reactions.set(r.emoji, [...(reactions.get(r.emoji) ?? []), r.user_id]);
  const sender = nameOf(p.users, m.sender_id);
  return (
    <div
      className={`message ${mine ? 'mine' : 'theirs'}${p.first ? ' first' : ''}${p.last ? ' last' : ''}${m.deleted ? ' deleted' : ''}${selected || picker ? ' selected' : ''}`}
      data-seq={m.seq}
      data-message-id={m.id}
      data-client-id={m.client_id}
    >
      {p.group && !mine && p.first && <div className="message-sender">{sender}</div>}
      <div className="message-row">
        <div
          className="bubble"
          aria-label={mine ? undefined : `${sender} at ${clockTime(m.created_at)}`}
          onClick={(e) => {
            // A tap shows the actions on touch screens (links and images keep their own click).
            if (!(e.target as HTMLElement).closest('a')) setSelected((x) => !x);
          }}
        >
          {m.deleted ? (
            <span className="deleted-text">
              <Icon name="trash" size={14} /> This message was deleted
            </span>
          ) : (
            <>
              {m.reply_to && <ReplyQuote replyTo={p.replyTo} users={p.users} me={p.me} />}
              {m.attachments.length > 0 && (
                <div className="attachments">
                  {m.attachments.map((a) => (
                    <MediaAttachment key={a.key} chatId={p.chatId} a={a} />
                  ))}
                </div>
              )}
              {m.body && (
                <div className="message-text" dir="auto">
                  <MessageText text={m.body} usernames={p.usernames} me={p.me} />
                </div>
              )}
            </>
          )}
          <span className="message-meta">
            {m.edited_at && !m.deleted && <span className="edited">edited</span>}
            <time dateTime={m.created_at}>{clockTime(m.created_at)}</time>
            {tick && !m.deleted && <Ticks tick={tick.tick} title={tickTitle} />}
          </span>
        </div>
        {!m.deleted && (
          <div className="message-actions" role="toolbar" aria-label="Message actions">
            <button type="button" className="icon-button small" onClick={() => setPicker((x) => !x)} aria-label="React" aria-expanded={picker}>
              <Icon name="smile" size={16} />
            </button>
            <button type="button" className="icon-button small" onClick={() => p.onReply(m)} aria-label="Reply">
              <Icon name="reply" size={16} />
            </button>
            {mine && (
              <button type="button" className="icon-button small" onClick={() => p.onEdit(m)} aria-label="Edit">
                <Icon name="edit" size={16} />
              </button>
            )}
            {p.canDelete && (
              <button type="button" className="icon-button small" onClick={() => p.onDelete(m)} aria-label="Delete">
                <Icon name="trash" size={16} />
              </button>
            )}
          </div>
        )}
      </div>
      {picker && (
        <div className="reaction-picker" role="menu" aria-label="Pick a reaction" onKeyDown={(e) => e.key === 'Escape' && setPicker(false)}>
          {QUICK_REACTIONS.map((e) => (
            <button
              key={e}
              type="button"
              role="menuitem"
              onClick={() => {
                p.onReact(m, e);
                setPicker(false);
              }}
              aria-label={`React with ${e}`}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      {reactions.size > 0 && !m.deleted && (
        <div className="reactions">
          {[...reactions.entries()].map(([emoji, who]) => {
            const mineToo = who.includes(p.me);
            const names = who.map((u) => (u === p.me ? 'You' : nameOf(p.users, u))).join(', ');
            return (
              <button
                key={emoji}
                type="button"
                className={mineToo ? 'reaction mine' : 'reaction'}
                onClick={() => p.onReact(m, emoji)}
                title={names}
                aria-label={`${emoji} ${who.length}: ${names}${mineToo ? '. Click to remove yours' : ''}`}
                aria-pressed={mineToo}
              >
                <span>{emoji}</span>
                <span className="reaction-count">{who.length}</span>
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
});

export function PendingItem({
  pending,
  first,
  last,
  usernames,
  me,
  replyTo,
  users,
  onRetry,
  onDiscard,
}: {
  pending: PendingMessage;
  first: boolean;
  last: boolean;
  usernames: ReadonlyMap<string, string>;
  me: string;
  replyTo: Message | undefined;
  users: Record<string, PublicProfile>;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const tick = pendingTick(pending);
  return (
    <div
      className={`message mine pending${first ? ' first' : ''}${last ? ' last' : ''}${tick === 'failed' ? ' failed' : ''}`}
      data-client-id={pending.client_id}
      data-pending="true"
    >
      <div className="message-row">
        <div className="bubble">
          {pending.reply_to && <ReplyQuote replyTo={replyTo} users={users} me={me} />}
          {pending.attachments.length > 0 && (
            <div className="attachments">
              {pending.attachments.map((a) => (
                <div key={a.key} className="attachment-file">
                  <Icon name="file" size={22} />
                  <span className="attachment-meta">
                    <span className="attachment-name">{a.name}</span>
                    <span className="attachment-size">{fileSize(a.size)}</span>
                  </span>
                </div>
              ))}
            </div>
          )}
          {pending.body && (
            <div className="message-text" dir="auto">
              <MessageText text={pending.body} usernames={usernames} me={me} />
            </div>
          )}
          <span className="message-meta">
            <time dateTime={pending.created_at}>{clockTime(pending.created_at)}</time>
            <Ticks tick={tick} title={tick === 'failed' ? `Not sent: ${pending.error ?? 'error'}` : TICK_LABEL[tick]} />
          </span>
        </div>
      </div>
      {tick === 'failed' && (
        <div className="failed-actions">
          <span>Not sent{pending.error ? `: ${pending.error}` : ''}.</span>
          <button type="button" className="link-button" onClick={onRetry}>
            Try again
          </button>
          <button type="button" className="link-button" onClick={onDiscard}>
            Discard
          </button>
        </div>
      )}
    </div>
  );
}
