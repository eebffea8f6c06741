import { useEffect, useRef } from 'react';
import { navigate } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { chatTitle, nameOf } from '../components/names';
import { shortTime } from '../lib/text';
import type { Notification } from '../lib/types';

function describe(n: Notification, actor: string, chat: string): string {
  switch (n.kind) {
    case 'message':
      return n.count > 1 ? `${n.count} new messages in ${chat}` : `New message from ${actor}`;
    case 'mention':
      return `${actor} mentioned you in ${chat}`;
    case 'member_added':
      return `${actor} added you to ${chat}`;
    case 'member_removed':
      return `${actor} removed you from ${chat}`;
    case 'owner_changed':
      return `${actor} made you the owner of ${chat}`;
    default:
      return 'Notification';
  }
}

export function NotificationsPanel({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const items = useAppState((s) => s.notifications);
  const loaded = useAppState((s) => s.notificationsLoaded);
  const cursor = useAppState((s) => s.notificationsCursor);
  const unread = useAppState((s) => s.unreadNotifications);
  const users = useAppState((s) => s.users);
  const chats = useAppState((s) => s.chats);
  const me = useAppState((s) => s.me?.id ?? '');
  const panel = useRef<HTMLDivElement>(null);

  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    void store.loadNotifications().catch(() => undefined);
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close.current();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [store]);

  const open = (n: Notification) => {
    if (!n.read) void store.readNotification(n.id).catch(() => undefined);
    onClose();
    if (chats[n.chat_id]) navigate(`/chats/${n.chat_id}`);
  };

  return (
    <>
      <div className="panel-backdrop" onClick={onClose} />
      <div className="notifications-panel" role="dialog" aria-label="Notifications" ref={panel} tabIndex={-1}>
        <header className="panel-header">
          <h2>Notifications</h2>
          <div className="row gap">
            <button type="button" className="link-button" disabled={unread === 0} onClick={() => void store.readAllNotifications().catch(() => undefined)}>
              Mark all read
            </button>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close notifications">
              <Icon name="close" />
            </button>
          </div>
        </header>
        {!loaded ? (
          <p className="muted pad">Loading…</p>
        ) : items.length === 0 ? (
          <div className="pad center muted">
            <Icon name="bell" size={32} />
            <p>You're all caught up.</p>
          </div>
        ) : (
          <ul className="notification-list">
            {items.map((n) => {
              const actor = n.actor_id ? nameOf(users, n.actor_id) : 'Someone';
              const chat = chats[n.chat_id];
              const chatName = chat ? chatTitle(chat, me, users) : 'a chat';
              return (
                <li key={n.id}>
                  <button type="button" className={n.read ? 'notification' : 'notification unread'} onClick={() => open(n)} data-kind={n.kind}>
                    <Avatar name={actor} seed={n.actor_id ?? n.chat_id} url={n.actor_id ? users[n.actor_id]?.avatar_url : undefined} size={36} />
                    <span className="notification-body">
                      <span className="notification-title">{describe(n, actor, chatName)}</span>
                      {n.preview && <span className="notification-preview">{n.preview}</span>}
                      <time dateTime={n.updated_at}>{shortTime(n.updated_at)}</time>
                    </span>
                    {!n.read && <span className="unread-dot" aria-label="unread" />}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        {cursor && (
          <button type="button" className="button block" onClick={() => void store.loadNotifications(true).catch(() => undefined)}>
            Show older
          </button>
        )}
      </div>
    </>
  );
}
