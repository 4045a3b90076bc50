import { Link } from 'react-router-dom';
import { t } from '../i18n/index.ts';

export function Loading({ full = false, label = t.app.loading }: { full?: boolean; label?: string }): React.JSX.Element {
  return (
    <div className={full ? 'loading loading-full' : 'loading'} role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, hint, children }: { title: string; hint?: string; children?: React.ReactNode }): React.JSX.Element {
  return (
    <div className="empty-state">
      <div className="empty-title">{title}</div>
      {hint && <div className="empty-hint">{hint}</div>}
      {children}
    </div>
  );
}

export function ErrorState({ title, detail, onRetry }: { title: string; detail?: string | null; onRetry?: () => void }): React.JSX.Element {
  return (
    <div className="empty-state error-state" role="alert">
      <div className="empty-title">{title}</div>
      {detail && <div className="empty-hint">{detail}</div>}
      {onRetry && (
        <button className="button" onClick={onRetry}>
          {t.app.retry}
        </button>
      )}
    </div>
  );
}

export function NotFound(): React.JSX.Element {
  return (
    <EmptyState title={t.app.notFound} hint={t.app.notFoundHint}>
      <Link className="button" to="/">
        {t.app.backHome}
      </Link>
    </EmptyState>
  );
}
