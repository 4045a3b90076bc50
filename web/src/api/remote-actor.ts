/**
 * A "remote actor ref": the two methods `@xstate/react`'s `useSelector` needs (`subscribe`,
 * `getSnapshot`), fed by the WebSocket instead of a local interpreter. Snapshots are immutable;
 * every change replaces the object so selectors compare by reference.
 */
type Listener = () => void;
type ObserverLike<T> = ((value: T) => void) | { next?: (value: T) => void };

export class RemoteActorRef<T extends object> {
  private snapshot: T;
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly id: string,
    initial: T,
  ) {
    this.snapshot = guardSnapshot(initial);
  }

  getSnapshot = (): T => this.snapshot;

  subscribe = (observer: ObserverLike<T>): { unsubscribe: () => void } => {
    const listener: Listener =
      typeof observer === 'function' ? () => observer(this.snapshot) : () => observer.next?.(this.snapshot);
    this.listeners.add(listener);
    return { unsubscribe: () => this.listeners.delete(listener) };
  };

  update(change: (current: T) => T): void {
    const next = change(this.snapshot);
    if (next === this.snapshot) return;
    this.snapshot = guardSnapshot(next);
    for (const l of [...this.listeners]) l();
  }
}

/**
 * `useSelector` treats a snapshot whose `status` is `'error'` as a crashed actor and throws; a
 * remote snapshot is data, so such a field is renamed rather than forwarded.
 */
export function guardSnapshot<T extends object>(value: T): T {
  if ((value as { status?: unknown }).status !== 'error') return value;
  const { status, ...rest } = value as Record<string, unknown>;
  return { ...rest, remote_status: status } as T;
}
