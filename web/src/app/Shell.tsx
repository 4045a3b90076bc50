import { Link } from 'react-router-dom';
import { t } from '../i18n/index.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { ThemeToggle } from '../ui/theme.tsx';
import { ConnectionBanner, ConnectionDot } from './ConnectionBanner.tsx';
import { useMission } from './mission-context.ts';
import { ShortcutsDialog } from './ShortcutsDialog.tsx';

export function Shell({ children }: { children: React.ReactNode }): React.JSX.Element {
  const { session, signOut } = useMission();
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          {t.app.name}
        </Link>
        <div id="topbar-slot" className="topbar-slot" />
        <div className="topbar-right">
          <ConnectionDot />
          <ThemeToggle />
          <span className="user" data-testid="current-user">
            <Avatar id={session.username} size={22} />
            <span>{session.username}</span>
            {session.is_admin && <span className="badge">{t.auth.admin}</span>}
          </span>
          <button className="button ghost small" onClick={() => void signOut()}>
            {t.auth.signOut}
          </button>
        </div>
      </header>
      <ConnectionBanner />
      <main className="main">{children}</main>
      <ShortcutsDialog />
    </div>
  );
}
