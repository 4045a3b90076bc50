import type { CommittedEvent } from '@core/views.ts';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { can } from '../../api/auth.ts';
import { errorMessage } from '../../api/errors.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { EmptyState, ErrorState, Loading } from '../../ui/states.tsx';
import { EventLog, formatStateValue } from './EventLog.tsx';
import { changedPaths, JsonTree } from './JsonTree.tsx';
import { SendEvent } from './SendEvent.tsx';
import { activeStateIds, layoutMachine, type Chart, type MachineInfo } from './statechart-layout.ts';
import { StatechartView } from './StatechartView.tsx';
import { useActorHistory } from './use-actor-history.ts';

type ActorKind = 'task' | 'agent' | 'project';

function kindOf(actorId: string, projectId: string): ActorKind {
  if (actorId.includes(':')) return 'agent';
  return actorId === projectId ? 'project' : 'task';
}

const machines = new Map<ActorKind, Promise<MachineInfo>>();

/** The visual inspector: statechart, event log, context and history replay of one actor. */
export default function InspectorPage(): React.JSX.Element {
  const { projectId = '', actorId } = useParams();
  const navigate = useNavigate();
  const tasks = useProject(projectId, (s) => s.tasks);
  const agents = useProject(projectId, (s) => s.agents);

  const options = useMemo(
    () => [
      ...Object.values(agents).map((a) => ({ id: a.id, label: `${a.id} · ${a.state}` })),
      ...Object.values(tasks)
        .sort((a, b) => b.updated_at - a.updated_at)
        .map((task) => ({ id: task.id, label: `${task.id} · ${task.title}` })),
    ],
    [agents, tasks],
  );

  return (
    <div className="inspector-page">
      <div className="toolbar">
        <label className="inline-field">
          <span>{t.inspector.pickActor}</span>
          <select data-testid="actor-picker" value={actorId ?? ''} onChange={(e) => navigate(`/p/${projectId}/inspect/${e.target.value}`)}>
            <option value="" disabled>
              —
            </option>
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {actorId ? <ActorInspector key={actorId} projectId={projectId} actorId={actorId} /> : <EmptyState title={t.inspector.pickActor} />}
    </div>
  );
}

function ActorInspector({ projectId, actorId }: { projectId: string; actorId: string }): React.JSX.Element {
  const { socket, session } = useMission();
  const kind = kindOf(actorId, projectId);
  const [machine, setMachine] = useState<MachineInfo | null>(null);
  const [chart, setChart] = useState<Chart | null>(null);
  const [chartError, setChartError] = useState<string | null>(null);
  const { events, error, hasOlder, loadOlder } = useActorHistory(projectId, actorId);
  const liveSnapshot = useProject(projectId, (s) => s.snapshots[actorId]);
  const taskStatus = useProject(projectId, (s) => s.tasks[actorId]?.status);
  // The replay position as an event seq (stable when older pages are prepended); null follows live.
  const [cursorSeq, setCursorSeq] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    let info = machines.get(kind);
    if (!info) {
      info = socket.request<MachineInfo>('mission.inspect.machine', { kind });
      machines.set(kind, info);
      info.catch(() => machines.delete(kind));
    }
    info
      .then(async (m) => {
        if (!live) return;
        setMachine(m);
        const laid = await layoutMachine(m);
        if (live) setChart(laid);
      })
      .catch((err: unknown) => live && setChartError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [socket, kind]);

  const list: CommittedEvent[] = useMemo(() => events ?? [], [events]);
  const found = cursorSeq === null ? -1 : list.findIndex((e) => e.seq === cursorSeq);
  const index = found >= 0 ? found : list.length - 1;
  const current = list[index];
  const previous = index > 0 ? list[index - 1] : undefined;
  const following = cursorSeq === null;
  const seek = (i: number): void => setCursorSeq(i >= list.length - 1 ? null : (list[i]?.seq ?? null));

  // Following live: a watched snapshot newer than the log wins (it arrives before the re-read).
  const stateValue =
    following && liveSnapshot && (!current || liveSnapshot.seq > current.seq)
      ? liveSnapshot.state_value
      : (current?.payload.state_value ?? (kind === 'task' ? taskStatus : undefined));
  const context = following && liveSnapshot && (!current || liveSnapshot.seq > current.seq) ? liveSnapshot.context : current?.payload.view;
  // The first event creates the whole context: only later events have a "last change" to show.
  const changed = useMemo(() => (previous ? changedPaths(previous.payload.view ?? {}, current?.payload.view ?? {}) : new Set<string>()), [previous, current]);
  const active = useMemo(() => (machine ? activeStateIds(machine.id, stateValue) : new Set<string>()), [machine, stateValue]);
  const acceptedEvents = useMemo(() => {
    const set = new Set<string>();
    for (const id of active) for (const e of chart?.eventsByState[id] ?? []) set.add(e);
    return [...set].sort();
  }, [active, chart]);

  return (
    <div className="inspector">
      <section className="card chart-card">
        <header className="card-header">
          <h3>{t.inspector.chart}</h3>
          <span className="mono muted small">
            {machine ? `${machine.id} v${machine.version}` : ''} · {actorId}
          </span>
          <span className="spacer" />
          <span className="state-pill active-state" data-testid="current-state">
            {stateValue === undefined ? '—' : formatStateValue(stateValue)}
          </span>
        </header>
        {chartError && <ErrorState title={t.inspector.layoutFailed} detail={chartError} />}
        {!chartError && !chart && <Loading />}
        {chart && <StatechartView chart={chart} active={active} />}
        <div className="history-bar">
          <span className="small muted">{t.inspector.history}</span>
          <input
            type="range"
            data-testid="history-slider"
            min={0}
            max={Math.max(0, list.length - 1)}
            value={Math.max(0, index)}
            disabled={list.length < 2}
            aria-label={t.inspector.history}
            onChange={(e) => seek(Number(e.target.value))}
          />
          <span className="small tabular" data-testid="history-position">
            {list.length > 0 ? t.inspector.at(index + 1, list.length) : '—'}
          </span>
          <button className={following ? 'button small primary' : 'button small'} onClick={() => setCursorSeq(null)} data-testid="history-live">
            {t.inspector.live}
          </button>
        </div>
      </section>
      <div className="inspector-side">
        <section className="card">
          <h3>{t.inspector.context}</h3>
          {context === undefined ? <p className="muted">{t.inspector.noEvents}</p> : <JsonTree value={context} changed={following && context !== current?.payload.view ? new Set() : changed} />}
        </section>
        {can(session, projectId, 'operate') && <SendEvent actorId={actorId} events={acceptedEvents} />}
      </div>
      <section className="card log-card">
        <header className="card-header">
          <h3>{t.inspector.events}</h3>
          <span className="spacer" />
          {hasOlder && (
            <button className="button ghost small" onClick={() => void loadOlder().catch(() => undefined)}>
              {t.inspector.loadOlder}
            </button>
          )}
        </header>
        {error && <ErrorState title={t.errors.generic} detail={error} />}
        {events === null && !error && <Loading />}
        {events !== null && events.length === 0 && <p className="muted">{t.inspector.noEvents}</p>}
        {list.length > 0 && <EventLog events={list} selected={index} onSelect={seek} />}
      </section>
    </div>
  );
}
