import { useSelector } from '@xstate/react';
import type { TaskStatusName } from '@core/task-status.ts';
import type { ProjectView } from '@core/views.ts';
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { canCreateProjects } from '../../api/auth.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { EmptyState, ErrorState, Loading } from '../../ui/states.tsx';
import { relative, useNow } from '../../ui/time.ts';
import { BOARD_COLUMNS } from '../board/columns.ts';
import { CreateProjectDialog } from './CreateProjectDialog.tsx';

export function ProjectsOverview(): React.JSX.Element {
  const { projects, session } = useMission();
  const directory = useSelector(projects.ref, (s) => s);
  const [creating, setCreating] = useState(false);
  const mayCreate = canCreateProjects(session);

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t.projects.title}</h1>
        {mayCreate && (
          <button className="button primary" onClick={() => setCreating(true)} data-testid="new-project">
            {t.projects.create}
          </button>
        )}
      </div>
      {directory.phase === 'loading' && <Loading />}
      {directory.phase === 'failed' && <ErrorState title={t.errors.generic} detail={directory.error} onRetry={() => void projects.reload()} />}
      {directory.phase === 'ready' && directory.projects.length === 0 && (
        <EmptyState title={t.projects.empty} hint={t.projects.emptyHint}>
          {mayCreate && (
            <button className="button primary" onClick={() => setCreating(true)}>
              {t.projects.create}
            </button>
          )}
        </EmptyState>
      )}
      <div className="project-grid">
        {directory.projects.map((p) => (
          <ProjectCard key={p.id} project={p} />
        ))}
      </div>
      <CreateProjectDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function ProjectCard({ project }: { project: ProjectView }): React.JSX.Element {
  const now = useNow(10_000);
  const tasks = useProject(project.id, (s) => s.tasks);
  const agents = useProject(project.id, (s) => s.agents);
  const phase = useProject(project.id, (s) => s.phase);
  const lastActivity = useProject(project.id, (s) => s.last_activity_at ?? s.project?.updated_at ?? project.updated_at);
  const counts = useMemo(() => {
    const byStatus: Partial<Record<TaskStatusName, number>> = {};
    for (const task of Object.values(tasks)) byStatus[task.status] = (byStatus[task.status] ?? 0) + 1;
    return byStatus;
  }, [tasks]);
  const agentCounts = useMemo(() => {
    const list = Object.values(agents).filter((a) => a.state !== 'destroyed');
    return {
      awake: list.filter((a) => a.state === 'idle' || a.state === 'pulsing').length,
      working: list.filter((a) => a.working).length,
      blocked: list.filter((a) => a.state === 'blocked').length,
    };
  }, [agents]);
  const total = Object.values(tasks).length;

  return (
    <Link to={`/p/${project.id}`} className="card project-card" data-testid={`project-${project.id}`}>
      <div className="project-card-head">
        <div>
          <div className="project-name">{project.name}</div>
          <div className="mono muted small">{project.id}</div>
        </div>
        {project.archived && <span className="badge">{t.projects.archived}</span>}
      </div>
      {phase === 'loading' ? (
        <div className="skeleton-row" aria-hidden="true" />
      ) : (
        <>
          <div className="status-bar" aria-label={t.projects.tasks(total)}>
            {BOARD_COLUMNS.map((c) => {
              const n = counts[c] ?? 0;
              return n > 0 ? <span key={c} className={`status-seg st-${c}`} style={{ flexGrow: n }} title={`${t.status[c]}: ${n}`} /> : null;
            })}
          </div>
          <div className="count-row">
            {BOARD_COLUMNS.map((c) => (
              <span key={c} className="count">
                <span className={`dot st-${c}`} />
                {t.status[c]} <b>{counts[c] ?? 0}</b>
              </span>
            ))}
          </div>
          <div className="count-row muted">
            <span>
              <b>{agentCounts.awake}</b> {t.projects.agentsAwake}
            </span>
            <span>
              <b>{agentCounts.working}</b> {t.projects.agentsWorking}
            </span>
            <span className={agentCounts.blocked ? 'text-warn' : ''}>
              <b>{agentCounts.blocked}</b> {t.projects.agentsBlocked}
            </span>
            <span className="spacer" />
            <span title={t.projects.lastActivity}>{relative(lastActivity, now)}</span>
          </div>
        </>
      )}
    </Link>
  );
}
