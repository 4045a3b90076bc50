import type { ResilientDriver } from './types.js';

/**
 * Per-pulse credentials (SPEC §9): a short-lived token minted when a pulse starts (the runtime's
 * `pulseCredentials` option) and revoked the moment that pulse ends, so neither the agent
 * program nor anything it left behind can call mission methods with it afterwards. The token's
 * own expiry (the pulse deadline) still covers a pulse whose end is never observed.
 */
export interface PulseCredentialStore {
  /** Base URL the agent uses (`MC_URL`); read per pulse, since the port is known only after listen. */
  url: () => string;
  mint(instanceId: string, pulseId: string, expiresAt: number): string;
  revoke(token: string): void;
}

export class PulseCredentialIssuer {
  private readonly live = new Map<string, string>(); // pulseId → token

  constructor(private readonly store: PulseCredentialStore) {}

  /** Plug into `createRuntime({ pulseCredentials })`. */
  readonly pulseCredentials = (instanceId: string, pulseId: string, expiresAt: number): { url: string; token: string } => {
    const token = this.store.mint(instanceId, pulseId, expiresAt);
    this.live.set(pulseId, token);
    return { url: this.store.url(), token };
  };

  /** Revokes the pulse's token; safe to call twice or for a pulse without one. */
  finished(pulseId: string): void {
    const token = this.live.get(pulseId);
    if (token === undefined) return;
    this.live.delete(pulseId);
    try {
      this.store.revoke(token);
    } catch {
      // The token still expires at the pulse deadline; a failed revoke must not break the pulse.
    }
  }

  /** Revokes each pulse's token when the driver reports the pulse finished. */
  watch(driver: ResilientDriver): () => void {
    return driver.onEvent((event) => {
      if (event.type === 'pulse') this.finished(event.pulseId);
    });
  }

  /** Tokens currently valid (pulses in flight). */
  liveCount(): number {
    return this.live.size;
  }
}
