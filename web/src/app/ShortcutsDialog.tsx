import { useEffect, useState } from 'react';
import { t } from '../i18n/index.ts';
import { Dialog } from '../ui/Dialog.tsx';

export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

const ROWS: [string, string][] = [
  ['c', t.shortcuts.create],
  ['← ↑ → ↓', t.shortcuts.navigate],
  ['Enter', t.shortcuts.open],
  ['Shift + ← →', t.shortcuts.moveCard],
  ['g b', t.shortcuts.goBoard],
  ['g a', t.shortcuts.goAgents],
  ['g d', t.shortcuts.goDocs],
  ['Esc', t.shortcuts.escape],
  ['?', t.shortcuts.help],
];

/** `?` opens the list of keyboard shortcuts from anywhere. */
export function ShortcutsDialog(): React.JSX.Element {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === '?' && !isTypingTarget(e.target)) {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <Dialog title={t.shortcuts.title} open={open} onClose={() => setOpen(false)} testId="shortcuts-dialog">
      <table className="shortcuts">
        <tbody>
          {ROWS.map(([keys, what]) => (
            <tr key={keys}>
              <td>
                <kbd>{keys}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
