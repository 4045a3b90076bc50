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

export interface DemoSquad {
  project: { project_id: string; project_name: string };
  souls: DemoSoul[];
  tasks: DemoTask[];
}

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

export function demoSquad(): DemoSquad {
  return {
    project: { project_id: 'vanguard', project_name: 'Vanguard' },
    souls: SOULS.map(({ persona, ...soul }) => ({
      ...soul,
      skills: [...soul.skills],
      soul_md: soulMd(soul.name, soul.role, persona, soul.skills),
    })),
    tasks: TASKS.map((t) => ({ ...t, depends_on: [...t.depends_on] })),
  };
}
