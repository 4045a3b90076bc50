/** The runtime's after-commit file effects; the contract lives in core (src/core/project-files.ts). */
export type { ProjectFiles, PulsePromptState } from '../core/index.js';
