import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectFiles, PulsePromptState } from '../core/index.js';
import { KANBAN_FILE } from './layout.js';
import { parseMentions } from './mentions.js';
import type { LeadBrief } from './lead-brief.js';
import { buildPulsePrompt, truncateWithMarker, type PulsePromptOptions } from './pulse-prompt.js';
import { learnedExcerpt, splitNotifications, taskEventNotes } from './pulse-state.js';
import type { Workspace } from './workspace.js';

/** The runtime's pulse state, as the workspace's prompt builder reads it. */
export type RuntimePulseState = PulsePromptState;

/** The workspace as the runtime's after-commit file effects, plus @mention parsing for the gateway. */
export interface WorkspaceProjectFiles extends ProjectFiles {
  parseMentions(text: string): string[];
}

const KANBAN_TITLE = /^# Kanban: (.*) \(([a-z0-9-]+)\)$/m;

/** Bytes of a pulse's output kept in the daily log: the end of a run (its result, its error) matters most. */
export const DAILY_PULSE_OUTPUT_BYTES = 16 * 1024;

type DailyPulse = Parameters<ProjectFiles['appendDaily']>[1];

/**
 * `pulse <id>: <outcome> (<error>)`, then the output as an indented code block: verbatim, and no
 * heading or fence the agent printed can end the entry early.
 */
export function dailyPulseText(entry: DailyPulse): string {
  const head = `pulse ${entry.pulse_id}: ${entry.outcome}${entry.error ? ` (${entry.error.replace(/\s*[\r\n]+\s*/g, ' ')})` : ''}`;
  const output = (entry.output ?? '').replace(/\r\n?/g, '\n').trimEnd();
  if (output.trim() === '') return head;
  const block = truncateWithMarker(output, DAILY_PULSE_OUTPUT_BYTES, 'tail')
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
  return `${head}\n\n${block}`;
}

export interface ProjectFilesOptions extends PulsePromptOptions {
  /** The lead's brief (unassigned backlog, reviews, team workload), added to the lead's pulses. */
  leadBrief?: (projectId: string, leadSoulId: string) => LeadBrief;
}

export function createProjectFiles(workspace: Workspace, options: ProjectFilesOptions = {}): WorkspaceProjectFiles {
  const { leadBrief, ...opts } = options;
  const names = new Map<string, string>();

  /** The project's display name: remembered from creation, else read back from KANBAN.md. */
  async function projectName(projectId: string): Promise<string> {
    const known = names.get(projectId);
    if (known) return known;
    const md = await readFile(path.join(workspace.projectDir(projectId), KANBAN_FILE), 'utf8').catch(() => '');
    const m = KANBAN_TITLE.exec(md);
    const name = m && m[2] === projectId ? m[1]! : projectId;
    names.set(projectId, name);
    return name;
  }

  return {
    async projectCreated(projectId, name) {
      names.set(projectId, name);
      await workspace.initProject(projectId, { name });
    },
    async projectDeleted(projectId) {
      names.delete(projectId);
      await workspace.archiveProjectFiles(projectId);
    },
    async soulWritten(soulId, soulMd) {
      await workspace.writeSoul(soulId, soulMd);
    },
    async instanceCreated(projectId, soulId, soulMd) {
      if (soulMd !== '') await workspace.writeSoul(soulId, soulMd);
      await workspace.initAgent(projectId, soulId);
    },
    async instanceDestroyed(projectId, soulId) {
      await workspace.archiveAgent(projectId, soulId);
    },
    async writeKanban(projectId, board) {
      const name = await projectName(projectId);
      await workspace.writeKanban({ id: projectId, name }, board());
    },
    async syncChronicle(projectId, plan) {
      await workspace.syncChronicle(projectId, plan);
    },
    async appendDaily(projectId, entry) {
      await workspace.appendDaily(projectId, entry.at, { author: entry.instance_id, text: dailyPulseText(entry) });
    },
    async distillMemory(projectId, soulId, plan, opts) {
      await workspace.distillCommitted(projectId, soulId, plan, opts);
    },
    async syncLearned(projectId, soulId, plan) {
      await workspace.syncLearned(projectId, soulId, plan);
    },
    async buildPulsePrompt(s) {
      const memory = await workspace.readMemory(s.project_id, s.instance.soul_id);
      const { messages, notifications } = splitNotifications(s.notifications);
      const lead = s.instance.role === 'lead' && leadBrief ? leadBrief(s.project_id, s.instance.soul_id) : undefined;
      return buildPulsePrompt(
        {
          project_id: s.project_id,
          scoped_path: workspace.projectDir(s.project_id) + '/',
          task: s.task ? { id: s.task.id, title: s.task.title } : null,
          learned_excerpt: learnedExcerpt(memory.learned),
          team_notes: { task_events: taskEventNotes(s.recent_task_events), messages },
          notifications,
          pulse_id: s.pulse_id,
          memory: { soul_md: memory.soul_md, context: memory.context, working: memory.working },
          ...(lead ? { lead } : {}),
        },
        opts,
      );
    },
    parseMentions(text) {
      // The runtime resolves names against the project's instances; here every slug counts.
      return parseMentions(text, null);
    },
  };
}
