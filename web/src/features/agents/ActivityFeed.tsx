import { Link } from 'react-router-dom';
import { t } from '../../i18n/index.ts';
import type { ActivityItem } from '../../state/project-state.ts';
import { clockTime } from '../../ui/time.ts';

export function ActivityFeed({ projectId, items }: { projectId: string; items: ActivityItem[] }): React.JSX.Element {
  return (
    <section className="card activity" aria-label={t.agents.activity}>
      <h3>{t.agents.activity}</h3>
      {items.length === 0 && <p className="muted">{t.agents.activityEmpty}</p>}
      <ol className="activity-list" data-testid="activity-feed">
        {items.map((item) => (
          <li key={item.seq}>
            <span className="muted small tabular">{clockTime(item.ts)}</span>
            <span className="event-type">{item.type}</span>
            <Link className="mono small" to={item.actor_id.includes(':') || item.actor_id === projectId ? `/p/${projectId}/inspect/${item.actor_id}` : `/p/${projectId}/t/${item.actor_id}`}>
              {item.actor_id}
            </Link>
            {item.summary && <span className="activity-summary">{item.summary}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
