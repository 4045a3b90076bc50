import type { CommittedEvent, MissionRuntime } from '../../core/index.js';
import { notificationFor } from '../../core/index.js';
import { FeedSession, frame, type FeedSessionOptions, type FeedSink } from './session.js';

/** All WebSocket clients of one gateway, fed from `runtime.onCommitted`. */
export class FeedHub {
  private readonly sessions = new Set<FeedSession>();
  private readonly detach: () => void;

  constructor(
    runtime: MissionRuntime,
    private readonly options: Omit<FeedSessionOptions, 'onClose'>,
  ) {
    this.detach = runtime.onCommitted((events) => this.publish(events));
  }

  get size(): number {
    return this.sessions.size;
  }

  open(sink: FeedSink): FeedSession {
    const session = new FeedSession(sink, { ...this.options, onClose: (s) => this.sessions.delete(s) });
    this.sessions.add(session);
    return session;
  }

  publish(events: readonly CommittedEvent[]): void {
    if (this.sessions.size === 0) return;
    for (const event of events) {
      let text: string | undefined;
      const render = (): string => (text ??= frame(notificationFor(event)));
      for (const s of this.sessions) s.deliver(event, render);
    }
  }

  /** Closes every client with a reason (graceful shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.sessions]) s.close(code, reason);
    this.detach();
  }
}
