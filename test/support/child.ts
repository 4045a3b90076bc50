import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Runs a TypeScript entry of this repo in a real child Node process (through tsx's loader). */
export function spawnTs(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, entry), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output; `waitFor` resolves when a line matching `re` appears on stdout or stderr. */
export class ChildOutput {
  text = '';
  private exited: string | null = null;
  private waiters: { re: RegExp; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    const feed = (chunk: Buffer): void => {
      this.text += chunk.toString('utf8');
      for (const w of [...this.waiters]) {
        const line = this.text.split('\n').find((l) => w.re.test(l));
        if (line !== undefined) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(line);
        }
      }
    };
    child.stdout?.on('data', feed);
    child.stderr?.on('data', feed);
    child.on('exit', (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`process ${this.exited} before printing ${w.re}:\n${this.text}`));
    });
  }

  waitFor(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const found = this.text.split('\n').find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    if (this.exited) return Promise.reject(new Error(`process ${this.exited} before printing ${re}:\n${this.text}`));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${this.text}`)), timeoutMs);
      this.waiters.push({
        re,
        resolve: (line) => {
          clearTimeout(timer);
          resolvePromise(line);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }
}

/** Waits for the exit of a child and returns its code (or the signal's name). */
export async function exitOf(child: ChildProcess, timeoutMs = 30_000): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode;
  if (child.signalCode !== null) return child.signalCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return code ?? signal ?? -1;
}

/** Stops a child by its pid (SIGTERM, then SIGKILL after a grace period). */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await once(child, 'exit');
  clearTimeout(timer);
}
