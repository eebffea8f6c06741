import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { navigate, useRoute } from '../app/router';
import { useServices } from '../app/context';
import { ApiError, describeError } from '../lib/api';

// The password typed at sign-up, kept in memory only, to sign in right after verification.
let justRegistered: { email: string; password: string } | null = null;

function AuthLayout({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children: ReactNode }) {
  return (
    <div className="auth">
      <div className="auth-brand" aria-hidden="true">
        <div className="brand-mark">
          <svg viewBox="0 0 64 64" width="40" height="40">
            <rect width="64" height="64" rx="16" fill="currentColor" />
            <path d="M18 20h28a6 6 0 0 1 6 6v12a6 6 0 0 1-6 6H30l-9 7v-7h-3a6 6 0 0 1-6-6V26a6 6 0 0 1 6-6z" fill="#fff" />
          </svg>
          <span>Parley</span>
        </div>
        <p className="brand-tagline">Conversations that keep up with you.</p>
      </div>
      <main className="auth-panel">
        <div className="auth-card">
          <h1>{title}</h1>
          {subtitle && <p className="muted">{subtitle}</p>}
          {children}
        </div>
      </main>
    </div>
  );
}

function Field(props: {
  label: string;
  type?: string;
  value: string;
  onChange: (v: string) => void;
  autoComplete?: string;
  hint?: string;
  required?: boolean;
  inputMode?: 'numeric' | 'email' | 'text';
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  name?: string;
  autoFocus?: boolean;
}) {
  const id = `f-${props.name ?? props.label.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete={props.autoComplete}
        required={props.required ?? true}
        inputMode={props.inputMode}
        pattern={props.pattern}
        maxLength={props.maxLength}
        minLength={props.minLength}
        autoFocus={props.autoFocus}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

function Link({ to, children }: { to: string; children: ReactNode }) {
  return (
    <a
      href={to}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function SignIn() {
  const { api } = useServices();
  const route = useRoute();
  const [email, setEmail] = useState(route.query.get('email') ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit();
  const notice = route.query.get('notice');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      try {
        await api.login(email.trim(), password);
        navigate('/chats', { replace: true });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'email_not_verified') {
          justRegistered = { email: email.trim(), password };
          navigate(`/verify?email=${encodeURIComponent(email.trim())}&resend=1`);
          return;
        }
        throw err;
      }
    });
  };
  return (
    <AuthLayout title="Welcome back" subtitle="Sign in to continue your conversations.">
      {notice && (
        <p className="form-note" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} className="form" aria-label="Sign in">
        <Field label="E-mail" name="email" type="email" value={email} onChange={setEmail} autoComplete="email" inputMode="email" autoFocus />
        <Field label="Password" name="password" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
        <ErrorNote error={error} />
        <button className="button primary block" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div className="auth-links">
        <Link to={`/forgot${email ? `?email=${encodeURIComponent(email)}` : ''}`}>Forgot your password?</Link>
        <span>
          New here? <Link to="/signup">Create an account</Link>
        </span>
      </div>
    </AuthLayout>
  );
}

export function SignUp() {
  const { api } = useServices();
  const [email, setEmail] = useState('');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const em = email.trim();
      await api.register({
        email: em,
        username: username.trim(),
        password,
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      });
      justRegistered = { email: em, password };
      navigate(`/verify?email=${encodeURIComponent(em)}`);
    });
  };
  return (
    <AuthLayout title="Create your account" subtitle="It takes a minute. We'll e-mail you a code to confirm your address.">
      <form onSubmit={submit} className="form" aria-label="Create account">
        <Field label="E-mail" name="email" type="email" value={email} onChange={setEmail} autoComplete="email" inputMode="email" autoFocus />
        <Field
          label="Username"
          name="username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          pattern="[A-Za-z][A-Za-z0-9_]{2,31}"
          maxLength={32}
          hint="3–32 letters, digits or _, starting with a letter. Others find you by it."
        />
        <Field label="Display name (optional)" name="display_name" value={displayName} onChange={setDisplayName} autoComplete="name" required={false} maxLength={64} />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          minLength={8}
          maxLength={128}
          hint="At least 8 characters. A few unusual words make a strong password."
        />
        <ErrorNote error={error} />
        <button className="button primary block" type="submit" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <div className="auth-links">
        <span>
          Already have an account? <Link to="/login">Sign in</Link>
        </span>
      </div>
    </AuthLayout>
  );
}

export function Verify() {
  const { api } = useServices();
  const route = useRoute();
  const email = route.query.get('email') ?? '';
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmit();
  const [cooldown, setCooldown] = useState(0);

  const resend = async () => {
    setSent(null);
    setError(null);
    try {
      await api.resendVerification(email);
      setSent('We sent you a new code.');
      setCooldown(30);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'rate_limited') setCooldown(e.retryAfterS ?? 30);
      setError(describeError(e));
    }
  };
  useEffect(() => {
    if (route.query.get('resend') === '1' && email) void resend();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    if (cooldown <= 0) return;
    const t = setTimeout(() => setCooldown((c) => c - 1), 1000);
    return () => clearTimeout(t);
  }, [cooldown]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.verify(email, code.trim());
      const creds = justRegistered?.email === email ? justRegistered : null;
      justRegistered = null;
      if (creds) {
        await api.login(creds.email, creds.password);
        navigate('/chats', { replace: true });
      } else {
        navigate(`/login?email=${encodeURIComponent(email)}&notice=${encodeURIComponent('Your e-mail is verified. Sign in to start chatting.')}`, {
          replace: true,
        });
      }
    });
  };
  return (
    <AuthLayout
      title="Check your e-mail"
      subtitle={
        <>
          We sent a 6-digit code to <strong>{email || 'your address'}</strong>. Enter it to confirm it's you.
        </>
      }
    >
      <form onSubmit={submit} className="form" aria-label="Verify e-mail">
        <Field
          label="Verification code"
          name="code"
          value={code}
          onChange={(v) => setCode(v.replace(/\D/g, '').slice(0, 6))}
          autoComplete="one-time-code"
          inputMode="numeric"
          pattern="[0-9]{6}"
          maxLength={6}
          autoFocus
        />
        {sent && (
          <p className="form-note" role="status">
            {sent}
          </p>
        )}
        <ErrorNote error={error} />
        <button className="button primary block" type="submit" disabled={busy || code.length !== 6}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
      </form>
      <div className="auth-links">
        <button type="button" className="link-button" onClick={() => void resend()} disabled={cooldown > 0 || !email}>
          {cooldown > 0 ? `Send a new code (${cooldown} s)` : 'Send a new code'}
        </button>
        <Link to="/login">Back to sign in</Link>
      </div>
    </AuthLayout>
  );
}

export function Forgot() {
  const { api } = useServices();
  const route = useRoute();
  const [email, setEmail] = useState(route.query.get('email') ?? '');
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.forgotPassword(email.trim());
      navigate(`/reset?email=${encodeURIComponent(email.trim())}`);
    });
  };
  return (
    <AuthLayout title="Reset your password" subtitle="Enter your e-mail and we'll send you a code to choose a new password.">
      <form onSubmit={submit} className="form" aria-label="Forgot password">
        <Field label="E-mail" name="email" type="email" value={email} onChange={setEmail} autoComplete="email" inputMode="email" autoFocus />
        <ErrorNote error={error} />
        <button className="button primary block" type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send code'}
        </button>
      </form>
      <div className="auth-links">
        <Link to="/login">Back to sign in</Link>
      </div>
    </AuthLayout>
  );
}

export function Reset() {
  const { api } = useServices();
  const route = useRoute();
  const email = route.query.get('email') ?? '';
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.resetPassword(email, code.trim(), password);
      navigate(
        `/login?email=${encodeURIComponent(email)}&notice=${encodeURIComponent('Your password was changed. Sign in with the new one.')}`,
        { replace: true },
      );
    });
  };
  return (
    <AuthLayout
      title="Choose a new password"
      subtitle={
        <>
          If <strong>{email}</strong> has an account, a code is on its way. It signs you out everywhere.
        </>
      }
    >
      <form onSubmit={submit} className="form" aria-label="Reset password">
        <Field
          label="Reset code"
          name="code"
          value={code}
          onChange={(v) => setCode(v.replace(/\D/g, '').slice(0, 6))}
          autoComplete="one-time-code"
          inputMode="numeric"
          pattern="[0-9]{6}"
          maxLength={6}
          autoFocus
        />
        <Field label="New password" name="new_password" type="password" value={password} onChange={setPassword} autoComplete="new-password" minLength={8} maxLength={128} />
        <ErrorNote error={error} />
        <button className="button primary block" type="submit" disabled={busy || code.length !== 6}>
          {busy ? 'Saving…' : 'Set new password'}
        </button>
      </form>
      <div className="auth-links">
        <Link to={`/forgot?email=${encodeURIComponent(email)}`}>Send another code</Link>
        <Link to="/login">Back to sign in</Link>
      </div>
    </AuthLayout>
  );
}
