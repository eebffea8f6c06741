import { memo } from 'react';
import { navigate } from '../app/router';
import { useAppState } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { chatTitle, nameOf, partnerOf } from '../components/names';
import { shortTime } from '../lib/text';
import type { ChatListItem, PresenceState, PublicProfile } from '../lib/types';
import { previewOf } from '../lib/view';

const Row = memo(function Row({
  chat,
  me,
  users,
  presence,
  active,
  typingNames,
}: {
  chat: ChatListItem;
  me: string;
  users: Record<string, PublicProfile>;
  presence: PresenceState | undefined;
  active: boolean;
  typingNames: string[];
}) {
  const title = chatTitle(chat, me, users);
  const partner = chat.kind === 'direct' ? partnerOf(chat, me) : null;
  const m = chat.last_message;
  let preview = m ? previewOf(m) : chat.kind === 'group' ? 'Group created' : 'Say hello 👋';
  if (m && !m.deleted && chat.kind === 'group') preview = `${m.sender_id === me ? 'You' : nameOf(users, m.sender_id)}: ${preview}`;
  else if (m && !m.deleted && m.sender_id === me) preview = `You: ${preview}`;
  const typing = typingNames.length > 0;
  const unread = chat.unread_count;
  return (
    <li>
      <a
        href={`/chats/${chat.id}`}
        className={active ? 'chat-row active' : 'chat-row'}
        aria-current={active ? 'page' : undefined}
        data-chat-id={chat.id}
        data-unread={unread}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey) return;
          e.preventDefault();
          navigate(`/chats/${chat.id}`);
        }}
      >
        <Avatar
          name={title}
          seed={partner ?? chat.id}
          url={chat.kind === 'group' ? chat.avatar_url : partner ? users[partner]?.avatar_url : undefined}
          online={partner ? !!presence?.online : undefined}
          group={chat.kind === 'group'}
          size={46}
        />
        <span className="chat-row-body">
          <span className="chat-row-top">
            <span className="chat-row-title">
              {title}
              {chat.kind === 'group' && <Icon name="users" size={13} className="muted-icon" />}
            </span>
            <time className={unread ? 'chat-row-time unread' : 'chat-row-time'} dateTime={chat.last_activity_at}>
              {shortTime(m?.created_at ?? chat.last_activity_at)}
            </time>
          </span>
          <span className="chat-row-bottom">
            <span className={typing ? 'chat-row-preview typing' : m?.deleted ? 'chat-row-preview deleted' : 'chat-row-preview'}>
              {typing
                ? chat.kind === 'group'
                  ? `${typingNames.join(', ')} ${typingNames.length > 1 ? 'are' : 'is'} typing…`
                  : 'typing…'
                : preview}
            </span>
            {unread > 0 && (
              <span className="badge" aria-label={`${unread} unread`}>
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
});

export function ChatList({ activeId, filter, onNewChat }: { activeId: string | null; filter: string; onNewChat: () => void }) {
  const order = useAppState((s) => s.chatOrder);
  const chats = useAppState((s) => s.chats);
  const users = useAppState((s) => s.users);
  const presence = useAppState((s) => s.presence);
  const typing = useAppState((s) => s.typing);
  const loaded = useAppState((s) => s.chatsLoaded);
  const me = useAppState((s) => s.me?.id ?? '');
  // While disconnected, presence is unknown: no online dots.
  const connected = useAppState((s) => s.connection === 'online');
  const q = filter.trim().toLowerCase();
  const visible = order
    .map((id) => chats[id]!)
    .filter((c) => c && (!q || chatTitle(c, me, users).toLowerCase().includes(q)));
  if (!loaded)
    return (
      <div className="chat-list-placeholder" aria-busy="true">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="skeleton-row" />
        ))}
      </div>
    );
  if (order.length === 0)
    return (
      <div className="chat-list-empty">
        <p>No conversations yet.</p>
        <button type="button" className="button primary" onClick={onNewChat}>
          Start a chat
        </button>
      </div>
    );
  return (
    <nav className="chat-list-wrap" aria-label="Conversations">
      {visible.length === 0 && <p className="muted pad">No chats match “{filter}”.</p>}
      <ul className="chat-list">
        {visible.map((c) => {
          const partner = c.kind === 'direct' ? partnerOf(c, me) : null;
          const typers = Object.keys(typing[c.id] ?? {}).map((u) => nameOf(users, u).split(' ')[0]!);
          return (
            <Row
              key={c.id}
              chat={c}
              me={me}
              users={users}
              presence={partner && connected ? presence[partner] : undefined}
              active={c.id === activeId}
              typingNames={typers}
            />
          );
        })}
      </ul>
    </nav>
  );
}
