import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { SyncMode } from './db.js';
import type { WriteCall } from './repo-writes.js';
import type { WriterThreadData } from './writer-thread.js';

export type WriterRequest = { type: 'batch'; id: number; generation: number; calls: WriteCall[] } | { type: 'close' };

export interface WriteFailure {
  code: string | null;
  message: string;
}

export type WriterReply =
  | { type: 'ready' }
  | { type: 'batch'; id: number; ok: true }
  | { type: 'batch'; id: number; ok: false; error: WriteFailure }
  | { type: 'fatal'; error: WriteFailure };

export interface CommitWriterOptions {
  /** The database file (the writer opens its own connection; `:memory:` cannot be shared). */
  file: string;
  synchronous?: SyncMode;
  busyTimeoutMs?: number;
  cacheMb?: number;
}

/** A batch's outcome: null once it is committed, else why it was not (a SQLite error code or ABANDONED). */
export type BatchDone = (failure: WriteFailure | null) => void;

/**
 * The runtime's side of the writer thread (DESIGN "Data flow" step 5, on a second core): group
 * commits are sent as recorded writes and committed there in order, so the runtime thread
 * builds the next batch while SQLite writes the last one. `drain` waits synchronously for
 * every batch sent (for a stop, a rollback or a write that must run inline). A writer that
 * cannot start or dies fails what it holds and reports `alive === false`; the caller writes
 * inline from then on. `ready` says when the thread has started and opened its connection.
 */
export class CommitWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Bumped by the thread after each reply: what `drain` waits on. */
  private readonly signal: Int32Array;
  private readonly waiting = new Map<number, BatchDone>();
  private nextId = 1;
  private dead: WriteFailure | null = null;
  private closing = false;
  private markReady: () => void = () => undefined;
  /**
   * Settles once the thread has loaded and opened its connection, or has failed to (then
   * `alive` is false). Batches sent before wait in the port; loading the thread takes a few
   * hundred milliseconds, so a server awaits this before it takes traffic.
   */
  readonly ready: Promise<void>;

  constructor(
    opts: CommitWriterOptions,
    private readonly onDeath: (failure: WriteFailure) => void = () => undefined,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const channel = new MessageChannel();
    this.port = channel.port1;
    const shared = new SharedArrayBuffer(4);
    this.signal = new Int32Array(shared);
    const data: WriterThreadData = {
      file: opts.file,
      synchronous: opts.synchronous ?? 'NORMAL',
      busyTimeoutMs: opts.busyTimeoutMs ?? 5000,
      cacheMb: opts.cacheMb,
      port: channel.port2,
      signal: shared,
    };
    this.worker = startThread(data, channel.port2);
    this.worker.on('error', (err) => this.die({ code: null, message: `writer thread failed: ${err.message}` }));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.die({ code: null, message: `writer thread exited (code ${code})` });
    });
    this.worker.unref();
    // The port stays referenced until the thread is ready: whoever awaits `ready` is kept alive.
    this.port.on('message', (m: WriterReply) => this.handle(m));
  }

  /** False once the thread failed to start or died. */
  get alive(): boolean {
    return this.dead === null;
  }

  /** Sends one batch; `done` is called once it is committed or refused, in send order. */
  submit(generation: number, calls: WriteCall[], done: BatchDone): void {
    if (this.dead) return done(this.dead);
    const id = this.nextId++;
    this.waiting.set(id, done);
    // While a batch is out the port keeps the process alive: its caller awaits the answer.
    if (this.waiting.size === 1) this.port.ref();
    try {
      this.port.postMessage({ type: 'batch', id, generation, calls } satisfies WriterRequest);
    } catch (err) {
      // Not sent (a value that cannot be cloned): the caller fails the batch.
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.port.unref();
      throw err;
    }
  }

  /**
   * Waits (blocking this thread) until every batch sent is answered, calling their `done`s.
   * Gives up with a failure after `maxWaitMs` (a thread that stopped answering).
   */
  drain(maxWaitMs = 120_000): void {
    const deadline = performance.now() + maxWaitMs;
    while (this.waiting.size > 0 && !this.dead) {
      const seen = Atomics.load(this.signal, 0);
      const next = receiveMessageOnPort(this.port);
      if (next) {
        this.handle(next.message as WriterReply);
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) return this.die({ code: null, message: `writer thread did not answer within ${maxWaitMs} ms` });
      Atomics.wait(this.signal, 0, seen, Math.min(left, 1000));
    }
  }

  /** Waits for what was sent, then ends the thread (its connection closes first). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.drain();
    this.closing = true;
    // Whoever awaits the close keeps the process alive until the thread is gone.
    this.worker.ref();
    if (this.dead) {
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // The thread closes its connection and its end of the port, then has nothing left to run.
    this.port.postMessage({ type: 'close' } satisfies WriterRequest);
    await exited;
    this.port.close();
    // Closed before it said it was ready: nobody waits for that any more.
    this.markReady();
  }

  private handle(m: WriterReply): void {
    if (m.type === 'fatal') return this.die(m.error);
    if (m.type === 'ready') {
      if (this.waiting.size === 0) this.port.unref();
      return this.markReady();
    }
    const done = this.waiting.get(m.id);
    if (!done) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.port.unref();
    done(m.ok ? null : m.error);
  }

  private die(failure: WriteFailure): void {
    if (this.dead || this.closing) return;
    this.dead = failure;
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    this.port.unref();
    void this.worker.terminate();
    this.markReady();
    for (const done of pending) done(failure);
    this.onDeath(failure);
  }
}

/** The ES module of tsx's register API (its CommonJS twin cannot register from a thread). */
function tsxApi(from: string): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (resolve) return resolve('tsx/esm/api');
  return pathToFileURL(createRequire(from).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/**
 * Starts the thread from the compiled `writer-thread.js` beside this file; when this file is
 * TypeScript run from source (tests, benchmarks under tsx), the thread registers tsx first.
 */
function startThread(data: WriterThreadData, port: MessagePort): Worker {
  const self = import.meta.url;
  const options = { workerData: data, transferList: [port] };
  if (!self.endsWith('.ts')) return new Worker(new URL('./writer-thread.js', self), options);
  const tsx = tsxApi(self);
  const entry = new URL('./writer-thread.ts', self).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
