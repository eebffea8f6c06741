import { useEffect, useMemo, useState } from 'react';
import { navigate, useRoute } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { chatTitle } from '../components/names';
import { ChatList } from './ChatList';
import { Conversation } from './Conversation';
import { GroupSettings } from './GroupSettings';
import { NewChatDialog, NewGroupDialog } from './NewChat';
import { NotificationsPanel } from './Notifications';
import { Profile } from './Profile';
import type { ConnectionState } from '../lib/realtime';

function ConnectionStatus({ state, synced, onRetry }: { state: ConnectionState; synced: boolean; onRetry: () => void }) {
  const online = typeof navigator === 'undefined' || navigator.onLine;
  let text: string | null = null;
  let tone = 'info';
  if (state === 'connecting') text = 'Connecting…';
  else if (state === 'reconnecting') {
    text = 'Reconnecting…';
    tone = 'warn';
  } else if (state === 'offline' || !online) {
    text = "You're offline. Messages will be sent when you're back.";
    tone = 'warn';
  } else if (state === 'unsupported') {
    text = 'This version of Parley is out of date.';
    tone = 'warn';
  } else if (state === 'online' && !synced) text = 'Catching up…';
  return (
    <div className="connection" data-state={state} data-synced={synced ? 'true' : 'false'} role="status" aria-live="polite">
      {text && (
        <div className={`connection-banner ${tone}`}>
          {tone === 'warn' && <Icon name="wifiOff" size={16} />}
          <span>{text}</span>
          {state === 'unsupported' && (
            <button type="button" className="link-button" onClick={() => location.reload()}>
              Reload
            </button>
          )}
          {(state === 'reconnecting' || state === 'offline') && (
            <button type="button" className="link-button" onClick={onRetry}>
              Retry now
            </button>
          )}
        </div>
      )}
    </div>
  );
}

export function Shell({ onRetry }: { onRetry: () => void }) {
  const store = useStore();
  const route = useRoute();
  const me = useAppState((s) => s.me);
  const users = useAppState((s) => s.users);
  const chats = useAppState((s) => s.chats);
  const connection = useAppState((s) => s.connection);
  const synced = useAppState((s) => s.synced);
  const unreadNotifications = useAppState((s) => s.unreadNotifications);
  const [dialog, setDialog] = useState<'chat' | 'group' | null>(null);
  const [bellOpen, setBellOpen] = useState(false);
  const [filter, setFilter] = useState('');

  const [section, chatId, sub] = route.parts;
  const activeChat = section === 'chats' && chatId ? chatId : null;
  const view = section === 'profile' ? 'profile' : activeChat ? 'conversation' : 'list';

  useEffect(() => {
    store.openChat(activeChat);
  }, [store, activeChat]);

  // The tab title counts chats with unread messages.
  const unreadChats = useMemo(() => Object.values(chats).filter((c) => c.unread_count > 0).length, [chats]);
  useEffect(() => {
    const chat = activeChat ? chats[activeChat] : null;
    const title = chat && me ? chatTitle(chat, me.id, users) : null;
    document.title = `${unreadChats ? `(${unreadChats}) ` : ''}${title ? `${title} · ` : ''}Parley`;
  }, [unreadChats, activeChat, chats, me, users]);

  return (
    <div className="shell" data-view={view}>
      <a href="#main" className="skip-link">
        Skip to conversation
      </a>
      <aside className="sidebar" aria-label="Chats">
        <header className="sidebar-header">
          <button type="button" className="me-button" onClick={() => navigate('/profile')} aria-label="Your profile and settings">
            <Avatar name={me?.display_name || me?.username || '?'} seed={me?.id ?? ''} url={me?.avatar_url} size={36} />
          </button>
          <h1 className="sidebar-title">Chats</h1>
          <div className="sidebar-actions">
            <button
              type="button"
              className="icon-button bell"
              onClick={() => setBellOpen((o) => !o)}
              aria-label={unreadNotifications ? `Notifications, ${unreadNotifications} unread` : 'Notifications'}
              aria-expanded={bellOpen}
            >
              <Icon name="bell" />
              {unreadNotifications > 0 && (
                <span className="badge small" data-testid="notification-count">
                  {unreadNotifications > 99 ? '99+' : unreadNotifications}
                </span>
              )}
            </button>
            <button type="button" className="icon-button" onClick={() => setDialog('group')} aria-label="New group">
              <Icon name="users" />
            </button>
            <button type="button" className="icon-button primary" onClick={() => setDialog('chat')} aria-label="New chat">
              <Icon name="plus" />
            </button>
          </div>
        </header>
        <ConnectionStatus state={connection} synced={synced} onRetry={onRetry} />
        <div className="search-box">
          <Icon name="search" size={16} />
          <label className="sr-only" htmlFor="chat-filter">
            Search chats
          </label>
          <input
            id="chat-filter"
            type="search"
            placeholder="Search chats"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            autoComplete="off"
          />
        </div>
        <ChatList activeId={activeChat} filter={filter} onNewChat={() => setDialog('chat')} />
      </aside>
      <main className="main" id="main" tabIndex={-1}>
        {view === 'profile' ? (
          <Profile />
        ) : activeChat ? (
          <Conversation key={activeChat} chatId={activeChat} />
        ) : (
          <div className="empty-state">
            <div className="empty-illustration" aria-hidden="true">
              <Icon name="chat" size={48} />
            </div>
            <h2>Pick up a conversation</h2>
            <p className="muted">Choose a chat on the left, or start a new one.</p>
            <div className="row gap">
              <button type="button" className="button primary" onClick={() => setDialog('chat')}>
                New chat
              </button>
              <button type="button" className="button" onClick={() => setDialog('group')}>
                New group
              </button>
            </div>
          </div>
        )}
      </main>
      {activeChat && sub === 'settings' && <GroupSettings chatId={activeChat} onClose={() => navigate(`/chats/${activeChat}`)} />}
      {bellOpen && <NotificationsPanel onClose={() => setBellOpen(false)} />}
      {dialog === 'chat' && <NewChatDialog onClose={() => setDialog(null)} />}
      {dialog === 'group' && <NewGroupDialog onClose={() => setDialog(null)} />}
    </div>
  );
}
