import type { CommandName, CommandParams } from '../../core/index.js';
import { createAgent, destroyAgent, pauseAgent, pulseNow, resumeAgent, syncAgent, upgradeAgent } from './agents.js';
import { distillMemory, logEvent, requestHelp, updateChronicle } from './control.js';
import { inspectSend } from './inspect.js';
import { sendMessage } from './messages.js';
import { archiveProject, deleteProject, initProject } from './projects.js';
import type { Handler } from './shared.js';
import { createSoul, updateSoul } from './souls.js';
import { answerHelp, assignTask, commentTask, createTask, moveTask, updateTask } from './tasks.js';

/** One handler per command of COMMAND_PARAMS (SPEC §5). */
export const COMMAND_HANDLERS: { [N in CommandName]: Handler<CommandParams<N>> } = {
  'soul.create': createSoul,
  'soul.update': updateSoul,
  'project.init': initProject,
  'project.archive': archiveProject,
  'project.delete': deleteProject,
  'task.create': createTask,
  'task.move': moveTask,
  'task.assign': assignTask,
  'task.update': updateTask,
  'task.comment': commentTask,
  'task.answer_help': answerHelp,
  'agent.sync': syncAgent,
  'agent.create': createAgent,
  'agent.pause': pauseAgent,
  'agent.resume': resumeAgent,
  'agent.upgrade': upgradeAgent,
  'agent.destroy': destroyAgent,
  'agent.pulse_now': pulseNow,
  'control.log_event': logEvent,
  'control.request_help': requestHelp,
  'control.distill_memory': distillMemory,
  'control.update_chronicle': updateChronicle,
  'message.send': sendMessage,
  'inspect.send': inspectSend,
};
