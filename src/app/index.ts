export { startServer, type RunningServer, type ServerContext } from './server.js';
export { seedDemo, demoAdmin, DEMO_SETTINGS } from './demo.js';
export { agentMethodPath } from './agent-path.js';
export { MALLOC_TUNING, missingMallocTuning, onGlibc } from './malloc-tuning.js';
export { V8_HEAP_FLAGS, heapFlagsInEffect, missingHeapFlags } from './heap-tuning.js';
