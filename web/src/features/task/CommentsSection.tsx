import type { TaskView } from '@core/views.ts';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import type { CommentView } from '../../state/project-feed.ts';
import { Avatar } from '../../ui/Avatar.tsx';
import { dateTime } from '../../ui/time.ts';
import { mentionQuery, WithMentions } from './Mentions.tsx';

export function CommentsSection({
  task,
  comments,
  editable,
  onPosted,
}: {
  task: TaskView;
  comments: CommentView[];
  editable: boolean;
  onPosted: () => void;
}): React.JSX.Element {
  const act = useAction();
  const agents = useProject(task.project_id, (s) => s.agents);
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  // Where the caret goes after a completion, applied right after React writes the new value
  // (a later frame would move it under keys typed in between).
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at === null || !input.current) return;
    pendingCaret.current = null;
    input.current.setSelectionRange(at, at);
  }, [text]);
  const query = mentionQuery(text, caret);
  const suggestions = useMemo(() => {
    if (query === null) return [];
    const souls = [...new Set(Object.values(agents).map((a) => a.soul_id)), 'all'];
    return souls.filter((s) => s.startsWith(query)).slice(0, 6);
  }, [agents, query]);

  const complete = (soul: string): void => {
    const before = text.slice(0, caret).replace(/@([a-z0-9-]*)$/, `@${soul} `);
    const next = before + text.slice(caret);
    setText(next);
    setCaret(before.length);
    pendingCaret.current = before.length;
    input.current?.focus();
  };

  return (
    <section className="section">
      <h3>{t.task.comments}</h3>
      {comments.length === 0 && <p className="muted">{t.task.noComments}</p>}
      <ul className="comments">
        {comments.map((c) => (
          <li key={c.id} className="comment">
            <Avatar id={c.author || '?'} size={22} />
            <div>
              <div className="comment-head">
                <b>{c.author}</b> <span className="muted small">{c.ts ? dateTime(c.ts) : ''}</span>
              </div>
              <div className="comment-text">
                <WithMentions text={c.text} />
              </div>
            </div>
          </li>
        ))}
      </ul>
      {editable && (
        <form
          className="form comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            act('mission.task.comment', { task_id: task.id, text: text.trim() }, t.task.comment)
              .then(() => {
                setText('');
                onPosted();
              })
              .catch(() => undefined)
              .finally(() => setBusy(false));
          }}
        >
          <div className="mention-wrap">
            <textarea
              ref={input}
              name="comment"
              rows={2}
              placeholder={t.task.commentPlaceholder}
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setCaret(e.target.selectionStart);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Tab' && suggestions[0]) {
                  e.preventDefault();
                  complete(suggestions[0]);
                }
              }}
              onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
            />
            {suggestions.length > 0 && (
              <div className="mention-menu" role="listbox">
                {suggestions.map((s) => (
                  <button type="button" key={s} role="option" aria-selected={false} onMouseDown={(e) => e.preventDefault()} onClick={() => complete(s)}>
                    @{s}
                  </button>
                ))}
              </div>
            )}
          </div>
          <div className="form-actions">
            <button className="button" type="submit" disabled={busy || !text.trim()}>
              {t.task.comment}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
