import { useEffect, useState, type FormEvent } from 'react';
import { navigate } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { Modal } from '../components/Modal';
import { describeError } from '../lib/api';
import type { PublicProfile } from '../lib/types';

/** Search-as-you-type over users (username or display-name prefix). */
export function useUserSearch(query: string): { results: PublicProfile[]; busy: boolean; error: string | null } {
  const store = useStore();
  const [results, setResults] = useState<PublicProfile[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const q = query.trim().replace(/^@/, '');
    if (!q) {
      setResults([]);
      setError(null);
      return;
    }
    let live = true;
    setBusy(true);
    const t = setTimeout(() => {
      store.api.searchUsers(q.slice(0, 64)).then(
        (page) => {
          if (!live) return;
          setResults(page.items);
          setError(null);
          setBusy(false);
          store.rememberUsers(page.items);
        },
        (e) => {
          if (!live) return;
          setError(describeError(e));
          setBusy(false);
        },
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query, store]);
  return { results, busy, error };
}

function PersonRow({ u, onClick, action, disabled }: { u: PublicProfile; onClick: () => void; action: string; disabled?: boolean }) {
  return (
    <li>
      <button type="button" className="person-row" onClick={onClick} disabled={disabled} aria-label={`${action} ${u.display_name || u.username}`}>
        <Avatar name={u.display_name || u.username} seed={u.id} url={u.avatar_url} size={36} />
        <span className="person-names">
          <span className="person-name">{u.display_name || u.username}</span>
          <span className="muted">@{u.username}</span>
        </span>
      </button>
    </li>
  );
}

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const me = useAppState((s) => s.me?.id ?? '');
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const search = useUserSearch(query);
  const people = search.results.filter((u) => u.id !== me);

  const open = async (u: PublicProfile) => {
    setBusy(true);
    setError(null);
    try {
      const view = await store.api.openDirect(u.id);
      store.addChat(view);
      onClose();
      navigate(`/chats/${view.id}`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="New chat" onClose={onClose}>
      <div className="field">
        <label htmlFor="user-search">Find people by name or username</label>
        <input
          id="user-search"
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="e.g. ann"
          autoComplete="off"
        />
      </div>
      {(error || search.error) && (
        <p className="form-error" role="alert">
          {error ?? search.error}
        </p>
      )}
      <ul className="people" aria-label="People" aria-busy={search.busy}>
        {people.map((u) => (
          <PersonRow key={u.id} u={u} onClick={() => void open(u)} action="Chat with" disabled={busy} />
        ))}
      </ul>
      {query.trim() && !search.busy && people.length === 0 && !search.error && <p className="muted">Nobody found for “{query.trim()}”.</p>}
    </Modal>
  );
}

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const me = useAppState((s) => s.me?.id ?? '');
  const [name, setName] = useState('');
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<PublicProfile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const search = useUserSearch(query);
  const people = search.results.filter((u) => u.id !== me && !picked.some((p) => p.id === u.id));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const view = await store.api.createGroup(name.trim(), picked.map((p) => p.id));
      store.addChat(view);
      onClose();
      navigate(`/chats/${view.id}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="New group" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="form">
        <div className="field">
          <label htmlFor="group-name">Group name</label>
          <input id="group-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required placeholder="e.g. Book club" />
        </div>
        <div className="field">
          <label htmlFor="group-search">Add people</label>
          <input id="group-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search by name or username" autoComplete="off" />
        </div>
        {picked.length > 0 && (
          <ul className="chips" aria-label="Members to add">
            {picked.map((u) => (
              <li key={u.id} className="chip">
                {u.display_name || u.username}
                <button type="button" onClick={() => setPicked((all) => all.filter((x) => x.id !== u.id))} aria-label={`Remove ${u.display_name || u.username}`}>
                  <Icon name="close" size={12} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <ul className="people" aria-label="Search results">
          {people.map((u) => (
            <PersonRow
              key={u.id}
              u={u}
              action="Add"
              onClick={() => {
                setPicked((all) => [...all, u]);
                setQuery('');
              }}
            />
          ))}
        </ul>
        {(error || search.error) && (
          <p className="form-error" role="alert">
            {error ?? search.error}
          </p>
        )}
        <div className="row gap end">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || !name.trim()}>
            {busy ? 'Creating…' : `Create group${picked.length ? ` with ${picked.length + 1}` : ''}`}
          </button>
        </div>
      </form>
    </Modal>
  );
}
