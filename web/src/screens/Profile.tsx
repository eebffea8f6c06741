import { useEffect, useState, type FormEvent } from 'react';
import { navigate } from '../app/router';
import { useAppState, useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { describeError } from '../lib/api';

function Status({ error, notice }: { error: string | null; notice: string | null }) {
  if (error)
    return (
      <p className="form-error" role="alert">
        {error}
      </p>
    );
  if (notice)
    return (
      <p className="form-note" role="status">
        {notice}
      </p>
    );
  return null;
}

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (fn: () => Promise<void>, done?: string) => {
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
  return { busy, error, notice, run };
}

export function Profile() {
  const store = useStore();
  const me = useAppState((s) => s.me);
  const [displayName, setDisplayName] = useState(me?.display_name ?? '');
  const [bio, setBio] = useState(me?.bio ?? '');
  const [avatar, setAvatar] = useState(me?.avatar_url ?? '');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [deletePassword, setDeletePassword] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const profile = useAction();
  const password = useAction();
  const sessions = useAction();
  const danger = useAction();

  useEffect(() => {
    if (!me) return;
    setDisplayName(me.display_name);
    setBio(me.bio);
    setAvatar(me.avatar_url);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me?.id]);

  if (!me) return <p className="pad muted">Loading…</p>;

  const save = (e: FormEvent) => {
    e.preventDefault();
    void profile.run(async () => {
      const updated = await store.api.updateMe({ display_name: displayName.trim(), bio, avatar_url: avatar.trim() });
      store.setMe(updated);
    }, 'Profile saved.');
  };
  const change = (e: FormEvent) => {
    e.preventDefault();
    void password.run(async () => {
      await store.api.changePassword(current, next);
      setCurrent('');
      setNext('');
    }, 'Password changed. Your other devices were signed out.');
  };
  const remove = (e: FormEvent) => {
    e.preventDefault();
    void danger.run(async () => {
      await store.api.deleteMe(deletePassword);
    });
  };

  return (
    <section className="profile" aria-labelledby="profile-title">
      <header className="conversation-header">
        <button type="button" className="icon-button back-button always" onClick={() => navigate('/chats')} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <h2 id="profile-title">Profile and settings</h2>
      </header>
      <div className="profile-body">
        <div className="profile-hero">
          <Avatar name={displayName || me.username} seed={me.id} url={avatar} size={88} />
          <div>
            <h3>{me.display_name || me.username}</h3>
            <p className="muted">
              @{me.username} · {me.email}
            </p>
          </div>
        </div>

        <form className="card form" onSubmit={save} aria-labelledby="p-edit">
          <h3 id="p-edit">Your profile</h3>
          <div className="field">
            <label htmlFor="p-display">Display name</label>
            <input id="p-display" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={64} required />
          </div>
          <div className="field">
            <label htmlFor="p-bio">About you</label>
            <textarea id="p-bio" value={bio} onChange={(e) => setBio(e.target.value)} maxLength={280} rows={3} />
            <small className="hint">{280 - [...bio].length} characters left</small>
          </div>
          <div className="field">
            <label htmlFor="p-avatar">Picture URL</label>
            <input id="p-avatar" type="url" value={avatar} onChange={(e) => setAvatar(e.target.value)} placeholder="https://…" maxLength={2048} />
          </div>
          <Status error={profile.error} notice={profile.notice} />
          <div className="row end">
            <button className="button primary" type="submit" disabled={profile.busy}>
              {profile.busy ? 'Saving…' : 'Save profile'}
            </button>
          </div>
        </form>

        <form className="card form" onSubmit={change} aria-labelledby="p-password">
          <h3 id="p-password">Change password</h3>
          <div className="field">
            <label htmlFor="p-current">Current password</label>
            <input id="p-current" type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" required />
          </div>
          <div className="field">
            <label htmlFor="p-new">New password</label>
            <input id="p-new" type="password" value={next} onChange={(e) => setNext(e.target.value)} autoComplete="new-password" minLength={8} maxLength={128} required />
          </div>
          <Status error={password.error} notice={password.notice} />
          <div className="row end">
            <button className="button" type="submit" disabled={password.busy}>
              Change password
            </button>
          </div>
        </form>

        <div className="card" aria-labelledby="p-sessions">
          <h3 id="p-sessions">Sessions</h3>
          <p className="muted">Sign out here, or on every device where you are signed in.</p>
          <Status error={sessions.error} notice={sessions.notice} />
          <div className="row gap">
            <button type="button" className="button" disabled={sessions.busy} onClick={() => void sessions.run(() => store.api.logout(false))}>
              <Icon name="logout" size={16} /> Log out
            </button>
            <button type="button" className="button" disabled={sessions.busy} onClick={() => void sessions.run(() => store.api.logout(true))}>
              Log out everywhere
            </button>
          </div>
        </div>

        <div className="card danger-zone" aria-labelledby="p-delete">
          <h3 id="p-delete">Delete account</h3>
          <p className="muted">Your profile goes away for good and you are signed out. This cannot be undone.</p>
          {confirmDelete ? (
            <form className="form" onSubmit={remove}>
              <div className="field">
                <label htmlFor="p-delete-password">Confirm with your password</label>
                <input id="p-delete-password" type="password" value={deletePassword} onChange={(e) => setDeletePassword(e.target.value)} autoComplete="current-password" required />
              </div>
              <Status error={danger.error} notice={null} />
              <div className="row gap">
                <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
                <button type="submit" className="button danger" disabled={danger.busy}>
                  Delete my account
                </button>
              </div>
            </form>
          ) : (
            <button type="button" className="button danger-text" onClick={() => setConfirmDelete(true)}>
              Delete account…
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
