import { useEffect, useMemo, useState } from 'react';
import { Markdown } from '../../ui/Markdown.tsx';
import { Link, useParams } from 'react-router-dom';
import { errorMessage } from '../../api/errors.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { listFrom } from '../../state/results.ts';
import { EmptyState, ErrorState, Loading } from '../../ui/states.tsx';
import { relative, useNow } from '../../ui/time.ts';

interface DocInfo {
  name: string;
  kind: string;
  size: number;
  modified_at: number;
}

const GROUP_ORDER = ['kanban', 'chronicle', 'context', 'daily', 'soul', 'working', 'learned'];

/** KANBAN.md, CHRONICLE.md, daily logs and each agent's memory files, rendered. */
export function DocumentsPage(): React.JSX.Element {
  const { projectId = '', '*': rest = '' } = useParams();
  const { socket } = useMission();
  const now = useNow(30_000);
  // Documents change with project events: reload on the feed's seq, never on a timer.
  const lastSeq = useProject(projectId, (s) => s.last_seq);
  const [docs, setDocs] = useState<DocInfo[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [content, setContent] = useState<{ name: string; text: string } | null>(null);
  const [docError, setDocError] = useState<string | null>(null);
  const selected = rest || null;

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      socket
        .request('mission.doc.list', { project_id: projectId })
        .then((r) => live && (setDocs(listFrom<DocInfo>(r, 'docs')), setListError(null)))
        .catch((err: unknown) => live && setListError(errorMessage(err)));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [socket, projectId, lastSeq]);

  useEffect(() => {
    if (!selected) return;
    let live = true;
    socket
      .request<{ content?: string }>('mission.doc.get', { project_id: projectId, name: selected })
      .then((r) => live && (setContent({ name: selected, text: typeof r?.content === 'string' ? r.content : '' }), setDocError(null)))
      .catch((err: unknown) => live && setDocError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [socket, projectId, selected, lastSeq]);

  const sorted = useMemo(
    () => [...(docs ?? [])].sort((a, b) => GROUP_ORDER.indexOf(a.kind) - GROUP_ORDER.indexOf(b.kind) || b.name.localeCompare(a.name)),
    [docs],
  );

  return (
    <div className="docs-page">
      <nav className="doc-list card" aria-label={t.docs.title}>
        {docs === null && !listError && <Loading />}
        {listError && <ErrorState title={t.docs.loadFailed} detail={listError} />}
        {docs?.length === 0 && <p className="muted">{t.docs.empty}</p>}
        {sorted.map((d) => (
          <Link key={d.name} to={`/p/${projectId}/docs/${d.name}`} className={d.name === selected ? 'doc-link active' : 'doc-link'}>
            <span className="mono">{d.name}</span>
            <span className="muted small">{relative(d.modified_at, now)}</span>
          </Link>
        ))}
      </nav>
      <article className="doc-view card" data-testid="doc-view">
        {!selected && <EmptyState title={t.docs.pick} />}
        {selected && docError && <ErrorState title={t.docs.loadFailed} detail={docError} />}
        {selected && !docError && content?.name !== selected && <Loading />}
        {selected && !docError && content?.name === selected && (
          <div className="markdown">{selected.endsWith('.md') ? <Markdown>{content.text}</Markdown> : <pre>{content.text}</pre>}</div>
        )}
      </article>
    </div>
  );
}
