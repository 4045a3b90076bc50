import { useSelector } from '@xstate/react';
import { useEffect } from 'react';
import { NavLink, Outlet, useNavigate, useParams } from 'react-router-dom';
import { can } from '../../api/auth.ts';
import { useMission } from '../../app/mission-context.ts';
import { isTypingTarget } from '../../app/ShortcutsDialog.tsx';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { ErrorState, Loading } from '../../ui/states.tsx';

export function ProjectLayout(): React.JSX.Element {
  const { projectId = '' } = useParams();
  const { projects, session, feeds } = useMission();
  const list = useSelector(projects.ref, (s) => s.projects);
  const phase = useProject(projectId, (s) => s.phase);
  const error = useProject(projectId, (s) => s.error);
  const name = useProject(projectId, (s) => s.project?.name ?? projectId);
  const navigate = useNavigate();
  const readOnly = !can(session, projectId, 'edit');

  useEffect(() => {
    let pendingG = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (e: KeyboardEvent): void => {
      if (isTypingTarget(e.target) || e.metaKey || e.ctrlKey || e.altKey || document.querySelector('dialog[open]')) return;
      if (e.key === 'g') {
        pendingG = true;
        clearTimeout(timer);
        timer = setTimeout(() => (pendingG = false), 800);
        return;
      }
      if (!pendingG) return;
      pendingG = false;
      const to = { b: '', a: '/agents', d: '/docs', i: '/inspect' }[e.key];
      if (to !== undefined) navigate(`/p/${projectId}${to}`);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      clearTimeout(timer);
    };
  }, [navigate, projectId]);

  return (
    <div className="project-layout">
      <div className="subbar">
        <label className="switcher">
          <span className="sr-only">{t.nav.switchProject}</span>
          <select
            data-testid="project-switcher"
            value={projectId}
            onChange={(e) => navigate(`/p/${e.target.value}`)}
            aria-label={t.nav.switchProject}
          >
            {!list.some((p) => p.id === projectId) && <option value={projectId}>{name}</option>}
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <nav className="tabs" aria-label={name}>
          <NavLink end to={`/p/${projectId}`} className={({ isActive }) => (isActive || location.pathname.includes('/t/') ? 'tab active' : 'tab')}>
            {t.nav.board}
          </NavLink>
          <NavLink to={`/p/${projectId}/agents`} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            {t.nav.agents}
          </NavLink>
          <NavLink to={`/p/${projectId}/docs`} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            {t.nav.docs}
          </NavLink>
          <NavLink to={`/p/${projectId}/inspect`} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            {t.nav.inspector}
          </NavLink>
        </nav>
        {readOnly && (
          <span className="badge" data-testid="read-only-badge">
            {t.app.readOnly}
          </span>
        )}
      </div>
      {phase === 'loading' && <Loading />}
      {phase === 'failed' && <ErrorState title={t.board.loadFailed} detail={error} onRetry={() => void feeds.get(projectId).load()} />}
      {phase === 'ready' && <Outlet />}
    </div>
  );
}
