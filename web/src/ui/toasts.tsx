import { useSyncExternalStore } from 'react';
import { t } from '../i18n/index.ts';

export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  detail?: string;
}

/** A tiny toast store: views push, the one <Toaster/> renders. */
class ToastStore {
  private toasts: Toast[] = [];
  private readonly listeners = new Set<() => void>();
  private nextId = 1;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  get = (): Toast[] => this.toasts;

  push(tone: ToastTone, title: string, detail?: string, ttlMs = tone === 'error' ? 8000 : 3500): void {
    const toast: Toast = { id: this.nextId++, tone, title, ...(detail ? { detail } : {}) };
    this.toasts = [...this.toasts.slice(-4), toast];
    this.emit();
    setTimeout(() => this.dismiss(toast.id), ttlMs);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((x) => x.id !== id);
    this.emit();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

export const toasts = new ToastStore();

export function Toaster(): React.JSX.Element {
  const list = useSyncExternalStore(toasts.subscribe, toasts.get);
  return (
    <div className="toaster" role="region" aria-live="polite" aria-label={t.app.notifications}>
      {list.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.tone}`} role={toast.tone === 'error' ? 'alert' : 'status'} data-testid="toast">
          <div className="toast-body">
            <div className="toast-title">{toast.title}</div>
            {toast.detail && <div className="toast-detail">{toast.detail}</div>}
          </div>
          <button className="icon-button" aria-label={t.app.close} onClick={() => toasts.dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
