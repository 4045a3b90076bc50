import type { Reporter, TestModule } from 'vitest/node';

/**
 * Under CI=true a skipped or todo test fails the run: a suite that silently stops testing
 * something must not stay green. Listed before the default reporter so vitest's summary stays
 * the last thing printed.
 */
export default class NoSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env.CI !== 'true') return;
    const skipped: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        if (test.result().state === 'skipped') {
          skipped.push(`${mod.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName} (${test.options.mode})`);
        }
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\nCI=true: ${skipped.length} test(s) skipped or todo; every test must run in CI:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n\n`);
    process.exitCode = 1;
  }
}
