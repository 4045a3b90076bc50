import { useState } from 'react';
import { login } from '../../api/auth.ts';
import { errorCode, errorMessage } from '../../api/errors.ts';
import { t } from '../../i18n/index.ts';
import { ThemeToggle } from '../../ui/theme.tsx';

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }): React.JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
      onSignedIn();
    } catch (err) {
      const code = errorCode(err);
      setError(code === 'UNAUTHENTICATED' || code === 'HTTP_401' ? t.auth.invalid : t.auth.failed(errorMessage(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin-page">
      <div className="signin-theme">
        <ThemeToggle />
      </div>
      <form className="signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          {t.app.name}
        </div>
        <h1 id="signin-title">{t.auth.title}</h1>
        <p className="muted">{t.auth.subtitle}</p>
        {notice && (
          <div className="callout warn" role="status" data-testid="signin-notice">
            {notice}
          </div>
        )}
        {error && (
          <div className="callout error" role="alert" data-testid="signin-error">
            {error}
          </div>
        )}
        <label className="field">
          <span>{t.auth.username}</span>
          <input name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">
          <span>{t.auth.password}</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button className="button primary block" type="submit" disabled={busy}>
          {busy ? t.auth.submitting : t.auth.submit}
        </button>
      </form>
    </div>
  );
}
