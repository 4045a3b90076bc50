import type { SquadMember } from './squad.js';

/**
 * The demo fixture (SPEC §12): project `vanguard` with six souls, one lead, and a backlog of
 * fourteen tasks, some pre-assigned, most left for the lead, two with dependencies. Tasks name
 * their dependencies by `ref`; whoever seeds them maps refs to the ids the server hands out.
 */
export interface DemoSoul extends SquadMember {
  soul_md: string;
}

export interface DemoTask {
  ref: string;
  title: string;
  description: string;
  priority: 1 | 2 | 3 | 4 | 5;
  assignee_id: string | null;
  depends_on: string[];
}

/** Follow-up work the demo's lead files when the backlog runs low (SPEC §12: the demo keeps moving). */
export interface PoolTask {
  title: string;
  description: string;
  priority: 1 | 2 | 3 | 4 | 5;
}

export interface DemoSquad {
  project: { project_id: string; project_name: string };
  souls: DemoSoul[];
  tasks: DemoTask[];
  pool: PoolTask[];
}

/** The demo project's id: its simulated lead refills the backlog from `pool`. */
export const DEMO_PROJECT_ID = 'vanguard';

function soulMd(name: string, role: string, persona: string, skills: string[]): string {
  return `# ${name}\n\nRole: ${role}\n\n${persona}\n\n## Skills\n${skills.map((s) => `- ${s}`).join('\n')}\n`;
}

const SOULS: (Omit<DemoSoul, 'soul_md'> & { persona: string })[] = [
  {
    soul_id: 'jarvis',
    name: 'Jarvis',
    role: 'lead',
    skills: ['planning', 'review', 'architecture'],
    persona:
      'Calm squad lead. Splits work by strengths, keeps the board honest and reviews everything before it ships.',
  },
  {
    soul_id: 'shuri',
    name: 'Shuri',
    role: 'engineer',
    skills: ['backend', 'api', 'database'],
    persona: 'Inventive backend engineer. Prototypes fast, then hardens the design with tests.',
  },
  {
    soul_id: 'friday',
    name: 'Friday',
    role: 'engineer',
    skills: ['frontend', 'ui', 'accessibility'],
    persona: 'Meticulous frontend engineer who cares about every pixel and every screen reader.',
  },
  {
    soul_id: 'vision',
    name: 'Vision',
    role: 'engineer',
    skills: ['security', 'auth', 'audit'],
    persona: 'Thoughtful security engineer. Asks what could go wrong before anything else.',
  },
  {
    soul_id: 'wanda',
    name: 'Wanda',
    role: 'engineer',
    skills: ['data', 'metrics', 'performance'],
    persona: 'Data and performance specialist who measures before and after every change.',
  },
  {
    soul_id: 'groot',
    name: 'Groot',
    role: 'engineer',
    skills: ['infra', 'deploy', 'docs'],
    persona: 'Steady infrastructure engineer. Says little, automates everything, writes the runbook.',
  },
];

const TASKS: DemoTask[] = [
  {
    ref: 'schema',
    title: 'Design the database schema for missions',
    description: 'Tables, indexes and migrations for the mission log (database).',
    priority: 1,
    assignee_id: 'shuri',
    depends_on: [],
  },
  {
    ref: 'api',
    title: 'Expose the mission API endpoints',
    description: 'REST and JSON-RPC api for missions, on top of the new schema (backend).',
    priority: 1,
    assignee_id: null,
    depends_on: ['schema'],
  },
  {
    ref: 'login',
    title: 'Add token login and session auth',
    description: 'Auth with hashed tokens and httpOnly sessions.',
    priority: 1,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'board',
    title: 'Build the mission board UI',
    description: 'Frontend board with drag and drop columns (ui).',
    priority: 2,
    assignee_id: 'friday',
    depends_on: ['api'],
  },
  {
    ref: 'a11y',
    title: 'Accessibility pass on the board',
    description: 'Keyboard navigation and screen reader labels (accessibility, ui).',
    priority: 3,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'audit',
    title: 'Audit log for operator actions',
    description: 'Record every pause, resume and destroy for the security audit.',
    priority: 2,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'metrics',
    title: 'Publish pulse latency metrics',
    description: 'Prometheus metrics for pulse latency and performance dashboards.',
    priority: 2,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'bench',
    title: 'Benchmark the event log under load',
    description: 'Measure performance of group commit with realistic data volumes.',
    priority: 3,
    assignee_id: 'wanda',
    depends_on: [],
  },
  {
    ref: 'deploy',
    title: 'Write the deploy pipeline',
    description: 'Build, migrate and deploy as a systemd service (infra, deploy).',
    priority: 2,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'runbook',
    title: 'Operator runbook',
    description: 'Docs for backup, restore and upgrade procedures.',
    priority: 4,
    assignee_id: 'groot',
    depends_on: [],
  },
  {
    ref: 'ratelimit',
    title: 'Rate limit the public API',
    description: 'Per-token rate limits on the api with clear errors (security).',
    priority: 3,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'theme',
    title: 'Dark theme for the dashboard',
    description: 'A dark palette for the frontend, respecting system preference.',
    priority: 5,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'retention',
    title: 'Event retention and compaction',
    description: 'Keep the database small: compact old data beyond the retention window.',
    priority: 4,
    assignee_id: null,
    depends_on: [],
  },
  {
    ref: 'plan',
    title: 'Plan the next milestone',
    description: 'Architecture review and planning of the next milestone with the squad.',
    priority: 3,
    assignee_id: null,
    depends_on: [],
  },
];

/** Each names a teammate's skill, so the lead's assignments stay readable on the board. */
const POOL: PoolTask[] = [
  { title: 'Index the mission log by agent', description: 'A database index for per-agent history queries.', priority: 3 },
  { title: 'Paginate the mission API', description: 'Cursor pagination on the backend list endpoints (api).', priority: 2 },
  { title: 'Retry transient database errors', description: 'Backoff on SQLITE_BUSY in the backend write path.', priority: 3 },
  { title: 'Keyboard shortcuts for the board', description: 'Move cards without a mouse (ui, accessibility).', priority: 4 },
  { title: 'Empty states for every column', description: 'Friendly frontend copy when a column has no cards.', priority: 5 },
  { title: 'Contrast check of the dark theme', description: 'WCAG contrast audit of the ui palette (accessibility).', priority: 3 },
  { title: 'Rotate agent tokens on upgrade', description: 'Security: new auth tokens when a soul is upgraded.', priority: 2 },
  { title: 'Threat model the command driver', description: 'Security review of spawned agent processes; audit the findings.', priority: 2 },
  { title: 'Alert on pulse failures', description: 'Metrics and alert rules for failed and timed-out pulses.', priority: 2 },
  { title: 'Profile the feed under 500 clients', description: 'Performance profile of WebSocket fan-out.', priority: 3 },
  { title: 'Dashboard of task cycle time', description: 'Data pipeline and metrics for time from start to done.', priority: 4 },
  { title: 'Blue-green deploy of the gateway', description: 'Infra: zero-downtime deploy behind the load balancer.', priority: 3 },
  { title: 'Nightly backup drill', description: 'Restore last night\'s backup on staging and write up the docs.', priority: 3 },
  { title: 'Document the NATS topology', description: 'Docs for subjects, permissions and the deploy layout (infra).', priority: 4 },
  { title: 'Review the squad velocity', description: 'Planning session: what slowed the last milestone down.', priority: 4 },
  { title: 'Write the architecture decision record for pulses', description: 'Architecture notes on stagger slots and the deadman switch.', priority: 5 },
  { title: 'Fix flaky reconnect in the board', description: 'Frontend socket reconnect sometimes shows stale cards (ui).', priority: 1 },
  { title: 'Patch the session cookie flags', description: 'Auth hardening: SameSite and Secure on every cookie (security).', priority: 1 },
];

export function demoSquad(): DemoSquad {
  return {
    pool: POOL.map((t) => ({ ...t })),
    project: { project_id: DEMO_PROJECT_ID, project_name: 'Vanguard' },
    souls: SOULS.map(({ persona, ...soul }) => ({
      ...soul,
      skills: [...soul.skills],
      soul_md: soulMd(soul.name, soul.role, persona, soul.skills),
    })),
    tasks: TASKS.map((t) => ({ ...t, depends_on: [...t.depends_on] })),
  };
}
