import type { AgentView } from '@core/views.ts';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { Avatar } from '../../ui/Avatar.tsx';
import { ConfirmDialog } from '../../ui/Dialog.tsx';
import { formatDuration, relative } from '../../ui/time.ts';
import { toasts } from '../../ui/toasts.tsx';

type AgentAction = 'pause' | 'resume' | 'pulse_now' | 'upgrade' | 'destroy';

const LABEL: Record<AgentAction, string> = {
  pause: t.agents.pause,
  resume: t.agents.resume,
  pulse_now: t.agents.pulseNow,
  upgrade: t.agents.upgrade,
  destroy: t.agents.destroy,
};

/** Which actions make sense in a state; the machine still has the last word. */
function actionsFor(agent: AgentView): AgentAction[] {
  switch (agent.state) {
    case 'destroyed':
      return [];
    case 'paused':
      return ['resume', 'upgrade', 'destroy'];
    case 'blocked':
    case 'expired':
      return ['resume', 'pulse_now', 'upgrade', 'destroy'];
    default:
      return ['pause', 'pulse_now', 'upgrade', 'destroy'];
  }
}

/**
 * A working agent's deadman is refreshed by its pulses, so a short deadman (the demo's 20 s) is
 * no alarm while the next pulse comes first. It is a warning when the deadman falls due before
 * the next pulse (or there is none), and danger once overdue.
 */
function deadmanTone(agent: AgentView, left: number): string {
  if (left <= 0) return 'text-danger';
  const nextPulseFirst = agent.next_pulse_at !== null && !pulsesHeld(agent) && agent.deadman_at !== null && agent.next_pulse_at < agent.deadman_at;
  return nextPulseFirst ? '' : 'text-warn';
}

/** A blocked, paused or destroyed instance is not pulsed (SPEC §4), whatever slot it keeps. */
function pulsesHeld(agent: AgentView): boolean {
  return agent.state === 'blocked' || agent.state === 'paused' || agent.state === 'destroyed';
}

export function AgentCard({ agent, now, operable }: { agent: AgentView; now: number; operable: boolean }): React.JSX.Element {
  const act = useAction();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<AgentAction | null>(null);

  const run = (action: AgentAction): void => {
    setBusy(action);
    act<unknown>(`mission.agent.${action}`, { instance_id: agent.id }, `${LABEL[action]} ${agent.id}`)
      .then(() => toasts.push('success', t.agents.done(LABEL[action], agent.id), undefined, 2000))
      .catch(() => undefined)
      .finally(() => setBusy(null));
  };

  const deadmanLeft = agent.working && agent.deadman_at !== null ? agent.deadman_at - now : null;
  return (
    <article className={`card agent-card state-${agent.state}`} data-testid={`agent-${agent.id}`} data-state={agent.state}>
      <header className="agent-head">
        <Avatar id={agent.soul_id} size={32} />
        <div className="agent-name">
          <div>
            <b>{agent.name || agent.soul_id}</b> {agent.role === 'lead' && <span className="badge">{t.agents.lead}</span>}
          </div>
          <div className="mono muted small">{agent.id}</div>
        </div>
        <span className="spacer" />
        {/* "idle" next to "working" reads as a contradiction: between pulses a working agent is just working. */}
        {!(agent.working && agent.state === 'idle') && <span className={`state-pill state-${agent.state}`}>{t.agents.states[agent.state] ?? agent.state}</span>}
        {agent.working && <span className="state-pill working">{t.agents.working}</span>}
      </header>
      <dl className="facts compact">
        <dt>{t.agents.currentTask}</dt>
        <dd>
          {agent.current_task_id ? (
            <Link className="mono" to={`/p/${agent.project_id}/t/${agent.current_task_id}`}>
              {agent.current_task_id}
            </Link>
          ) : (
            t.app.none
          )}
        </dd>
        <dt>{t.agents.lastPulse}</dt>
        <dd className="tabular" data-testid="last-pulse">{relative(agent.last_pulse_at, now)}</dd>
        <dt>{t.agents.nextPulse}</dt>
        <dd className="tabular" data-testid="next-pulse">{pulsesHeld(agent) ? <span className="muted">{t.agents.pulsesHeld[agent.state] ?? t.app.none}</span> : agent.next_pulse_at !== null ? relative(agent.next_pulse_at, now) : t.app.none}</dd>
        {deadmanLeft !== null && (
          <>
            <dt>{t.agents.deadman}</dt>
            <dd className={`tabular ${deadmanTone(agent, deadmanLeft)}`} data-testid="deadman">
              {deadmanLeft > 0 ? formatDuration(deadmanLeft) : t.time.overdue(formatDuration(deadmanLeft))}
            </dd>
          </>
        )}
        <dt>{t.agents.soul}</dt>
        <dd className="muted" data-testid="soul-version">{t.agents.soulVersion(agent.soul_version, agent.driver)}</dd>
      </dl>
      <footer className="agent-actions">
        <Link className="button ghost small inspect-link" to={`/p/${agent.project_id}/inspect/${agent.id}`}>
          {t.agents.inspect}
        </Link>
        {operable &&
          actionsFor(agent).map((action) => (
            <button
              key={action}
              className={action === 'destroy' ? 'button small danger-ghost' : 'button small'}
              disabled={busy !== null}
              onClick={() => (action === 'destroy' ? setConfirming(true) : run(action))}
            >
              {LABEL[action]}
            </button>
          ))}
      </footer>
      <ConfirmDialog
        open={confirming}
        title={`${t.agents.destroy} ${agent.id}`}
        message={t.agents.destroyConfirm(agent.id)}
        confirmLabel={t.agents.destroy}
        danger
        onClose={() => setConfirming(false)}
        onConfirm={() => run('destroy')}
      />
    </article>
  );
}
