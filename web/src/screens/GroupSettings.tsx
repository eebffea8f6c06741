import { useEffect, useState, type FormEvent } from 'react';
import { navigate } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Modal } from '../components/Modal';
import { nameOf } from '../components/names';
import { describeError } from '../lib/api';
import { lastSeenText } from '../lib/text';
import type { ChatMember, ChatRole } from '../lib/types';
import { useUserSearch } from './NewChat';

const ROLE_LABEL: Record<ChatRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };
const ROLE_RANK: Record<ChatRole, number> = { owner: 0, admin: 1, member: 2 };

export function GroupSettings({ chatId, onClose }: { chatId: string; onClose: () => void }) {
  const store = useStore();
  const details = useAppState((s) => s.details[chatId]);
  const users = useAppState((s) => s.users);
  const presence = useAppState((s) => s.presence);
  const me = useAppState((s) => s.me?.id ?? '');
  const [name, setName] = useState(details?.name ?? '');
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const search = useUserSearch(query);

  useEffect(() => {
    void store.loadDetails(chatId).catch((e) => setError(describeError(e)));
  }, [store, chatId]);
  useEffect(() => {
    if (details && !name) setName(details.name);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [details?.name]);

  if (!details) {
    return (
      <Modal title="Group settings" onClose={onClose} wide>
        <p className="muted">{error ?? 'Loading…'}</p>
      </Modal>
    );
  }
  if (details.kind !== 'group') {
    return (
      <Modal title="Chat details" onClose={onClose}>
        <p className="muted">Only groups have settings.</p>
      </Modal>
    );
  }
  const myRole = details.members.find((m) => m.user_id === me)?.role ?? 'member';
  const isAdmin = myRole === 'admin' || myRole === 'owner';
  const members = [...details.members].sort(
    (a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || nameOf(users, a.user_id).localeCompare(nameOf(users, b.user_id)),
  );
  const candidates = search.results.filter((u) => !details.members.some((m) => m.user_id === u.id));

  const act = async (fn: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await fn();
      if (done) setNotice(done);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const rename = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => store.applyView(await store.api.updateGroup(chatId, { name: name.trim() })), 'Group renamed.');
  };

  const canRemove = (m: ChatMember) =>
    m.user_id !== me && m.role !== 'owner' && (myRole === 'owner' || (myRole === 'admin' && m.role === 'member'));

  const leave = () =>
    act(async () => {
      await store.api.removeMember(chatId, me);
      store.leftChat(chatId);
      navigate('/chats', { replace: true });
    });

  return (
    <Modal title="Group settings" onClose={onClose} wide>
      <div className="settings">
        <section aria-labelledby="gs-name">
          <h3 id="gs-name">Name</h3>
          {isAdmin ? (
            <form className="row gap" onSubmit={rename}>
              <label htmlFor="group-rename" className="sr-only">
                Group name
              </label>
              <input id="group-rename" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required className="grow" />
              <button type="submit" className="button" disabled={busy || !name.trim() || name.trim() === details.name}>
                Rename
              </button>
            </form>
          ) : (
            <p>{details.name}</p>
          )}
        </section>

        <section aria-labelledby="gs-members">
          <h3 id="gs-members">
            Members <span className="muted">({details.members.length})</span>
          </h3>
          {isAdmin && (
            <div className="field">
              <label htmlFor="add-member">Add someone</label>
              <input id="add-member" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search by name or username" autoComplete="off" />
              {candidates.length > 0 && (
                <ul className="people compact" aria-label="People to add">
                  {candidates.map((u) => (
                    <li key={u.id}>
                      <button
                        type="button"
                        className="person-row"
                        disabled={busy}
                        onClick={() =>
                          void act(async () => {
                            store.applyView(await store.api.addMember(chatId, u.id));
                            setQuery('');
                          }, `${u.display_name || u.username} was added.`)
                        }
                        aria-label={`Add ${u.display_name || u.username}`}
                      >
                        <Avatar name={u.display_name || u.username} seed={u.id} url={u.avatar_url} size={30} />
                        <span className="person-names">
                          <span className="person-name">{u.display_name || u.username}</span>
                          <span className="muted">@{u.username}</span>
                        </span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <ul className="member-list">
            {members.map((m) => {
              const u = users[m.user_id];
              const p = presence[m.user_id] ?? m;
              const label = nameOf(users, m.user_id);
              return (
                <li key={m.user_id} className="member" data-user-id={m.user_id}>
                  <Avatar name={label} seed={m.user_id} url={u?.avatar_url} size={36} online={!!p.online} />
                  <span className="person-names">
                    <span className="person-name">
                      {label}
                      {m.user_id === me && <span className="muted"> (you)</span>}
                    </span>
                    <span className="muted">{p.online ? 'online' : lastSeenText(p.last_seen)}</span>
                  </span>
                  <span className={`role-tag ${m.role}`}>{ROLE_LABEL[m.role]}</span>
                  {(canRemove(m) || (myRole === 'owner' && m.user_id !== me)) && (
                    <span className="member-actions">
                      {myRole === 'owner' && m.user_id !== me && (
                        <>
                          <button
                            type="button"
                            className="button small"
                            disabled={busy}
                            onClick={() =>
                              void act(async () =>
                                store.applyView(await store.api.setRole(chatId, m.user_id, m.role === 'admin' ? 'member' : 'admin')),
                              )
                            }
                          >
                            {m.role === 'admin' ? 'Remove admin' : 'Make admin'}
                          </button>
                          <button
                            type="button"
                            className="button small"
                            disabled={busy}
                            onClick={() =>
                              void act(async () => store.applyView(await store.api.transferOwnership(chatId, m.user_id)), `${label} is now the owner.`)
                            }
                          >
                            Make owner
                          </button>
                        </>
                      )}
                      {canRemove(m) && (
                        <button
                          type="button"
                          className="button small danger-text"
                          disabled={busy}
                          onClick={() =>
                            void act(async () => {
                              await store.api.removeMember(chatId, m.user_id);
                              await store.loadDetails(chatId);
                            }, `${label} was removed.`)
                          }
                          aria-label={`Remove ${label} from the group`}
                        >
                          Remove
                        </button>
                      )}
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        </section>

        {(error || notice) && (
          <p className={error ? 'form-error' : 'form-note'} role={error ? 'alert' : 'status'}>
            {error ?? notice}
          </p>
        )}

        <section className="danger-zone" aria-labelledby="gs-leave">
          <h3 id="gs-leave">Leave group</h3>
          {myRole === 'owner' ? (
            <p className="muted">You own this group. Make someone else the owner before you leave.</p>
          ) : confirmLeave ? (
            <div className="row gap">
              <span>Leave “{details.name}”? You will stop receiving its messages.</span>
              <button type="button" className="button" onClick={() => setConfirmLeave(false)}>
                Cancel
              </button>
              <button type="button" className="button danger" disabled={busy} onClick={() => void leave()}>
                Leave
              </button>
            </div>
          ) : (
            <button type="button" className="button danger-text" onClick={() => setConfirmLeave(true)}>
              Leave group
            </button>
          )}
        </section>
      </div>
    </Modal>
  );
}
