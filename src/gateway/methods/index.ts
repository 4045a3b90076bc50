import { MissionError } from '../../core/index.js';
import type { MethodDef } from '../registry/method.js';
import { agentMethods } from './agent.js';
import { controlMethods } from './control.js';
import { docMethods } from './doc.js';
import { feedMethods } from './feed.js';
import { fsMethods } from './fs.js';
import { inspectMethods } from './inspect.js';
import { messageMethods } from './message.js';
import { projectMethods } from './project.js';
import { soulMethods } from './soul.js';
import { taskMethods } from './task.js';

/** Every mission method (SPEC §5), in one list: transports, manifest, MCP and docs read it. */
export const METHODS: readonly MethodDef[] = [
  ...soulMethods,
  ...projectMethods,
  ...taskMethods,
  ...agentMethods,
  ...controlMethods,
  ...messageMethods,
  ...fsMethods,
  ...docMethods,
  ...inspectMethods,
  ...feedMethods,
];

/** Name and alias → method. Built once; a duplicate name is a programming error. */
export class MethodRegistry {
  private readonly byName = new Map<string, MethodDef>();

  constructor(readonly methods: readonly MethodDef[] = METHODS) {
    for (const m of methods) {
      for (const name of [m.name, ...m.aliases]) {
        if (this.byName.has(name)) throw new MissionError('CONFIG_INVALID', `duplicate mission method name ${name}`, { method: name });
        this.byName.set(name, m);
      }
    }
  }

  get(name: string): MethodDef | undefined {
    return this.byName.get(name);
  }

  /** Methods an agent may call, i.e. the tools of the manifest and the MCP server. */
  tools(): MethodDef[] {
    return this.methods.filter((m) => m.tool !== undefined && m.roles.includes('agent'));
  }
}
