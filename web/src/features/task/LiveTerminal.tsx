import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { t } from '../../i18n/index.ts';
import type { ThoughtLine } from '../../state/project-state.ts';
import { clockTime } from '../../ui/time.ts';

/**
 * The task's thought stream. Follows new lines while the reader is at the bottom; scrolling up
 * pauses following until they jump back.
 */
export function LiveTerminal({ lines }: { lines: ThoughtLine[] }): React.JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [unseen, setUnseen] = useState(0);
  const lastCount = useRef(lines.length);

  useLayoutEffect(() => {
    const el = box.current;
    const added = lines.length - lastCount.current;
    lastCount.current = lines.length;
    if (!el) return;
    if (follow) el.scrollTop = el.scrollHeight;
    else if (added > 0) setUnseen((n) => n + added);
  }, [lines, follow]);

  useEffect(() => {
    if (follow) setUnseen(0);
  }, [follow]);

  return (
    <div className="terminal-wrap">
      <div
        ref={box}
        className="terminal"
        data-testid="live-terminal"
        role="log"
        aria-live="polite"
        onScroll={(e) => {
          const el = e.currentTarget;
          const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          if (atBottom !== follow) setFollow(atBottom);
        }}
      >
        {lines.length === 0 && <div className="terminal-empty">{t.task.terminalEmpty}</div>}
        {lines.map((line) => (
          <div key={line.key} className={`term-line kind-${line.kind}`}>
            <span className="term-time">{clockTime(line.ts)}</span>
            <span className="term-who">{line.instance_id?.split(':')[0] ?? t.task.terminalSource[line.kind] ?? line.kind}</span>
            <span className="term-text">
              <span className="term-thought">{line.thought}</span>
              {line.action && <span className="term-action">→ {line.action}</span>}
            </span>
          </div>
        ))}
      </div>
      {!follow && (
        <button
          className="terminal-resume"
          onClick={() => {
            setFollow(true);
            const el = box.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          {t.task.paused}
          {unseen > 0 ? ` · +${unseen}` : ''} — {t.task.resume}
        </button>
      )}
    </div>
  );
}
