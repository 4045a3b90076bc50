import { useMemo } from 'react';
import { useParams } from 'react-router-dom';
import { can } from '../../api/auth.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { EmptyState } from '../../ui/states.tsx';
import { useNow } from '../../ui/time.ts';
import { ActivityFeed } from './ActivityFeed.tsx';
import { AgentCard } from './AgentCard.tsx';

export function AgentsPage(): React.JSX.Element {
  const { projectId = '' } = useParams();
  const { session } = useMission();
  const agentsById = useProject(projectId, (s) => s.agents);
  const activity = useProject(projectId, (s) => s.activity);
  const now = useNow(1000);
  const agents = useMemo(
    () => Object.values(agentsById).sort((a, b) => Number(a.state === 'destroyed') - Number(b.state === 'destroyed') || a.soul_id.localeCompare(b.soul_id)),
    [agentsById],
  );
  const operable = can(session, projectId, 'operate');
  return (
    <div className="agents-page">
      <div className="agent-grid">
        {agents.length === 0 && <EmptyState title={t.agents.empty} />}
        {agents.map((agent) => (
          <AgentCard key={agent.id} agent={agent} now={now} operable={operable} />
        ))}
      </div>
      <ActivityFeed projectId={projectId} items={activity.slice(0, 100)} />
    </div>
  );
}
