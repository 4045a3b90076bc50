import { useCallback } from 'react';
import { errorCode, errorMessage } from '../api/errors.ts';
import { newIdempotencyKey } from '../api/ids.ts';
import { t } from '../i18n/index.ts';
import { toasts } from '../ui/toasts.tsx';
import { useMission } from './mission-context.ts';

/**
 * Runs one user action: a side-effecting method with a fresh idempotency key, so a retry after a
 * reconnect can never apply it twice. Failures become a toast unless the caller handles them.
 */
export function useAction(): <T = unknown>(method: string, params: Record<string, unknown>, label: string) => Promise<T> {
  const { socket } = useMission();
  return useCallback(
    async <T,>(method: string, params: Record<string, unknown>, label: string): Promise<T> => {
      try {
        return await socket.request<T>(method, { ...params, idempotency_key: newIdempotencyKey() });
      } catch (err) {
        const code = errorCode(err);
        if (code === 'TIMEOUT') toasts.push('error', t.connection.offlineFailed(label));
        else if (code === 'FORBIDDEN') toasts.push('error', label, t.errors.forbidden);
        else if (code !== 'ILLEGAL_TRANSITION') toasts.push('error', label, errorMessage(err));
        throw err;
      }
    },
    [socket],
  );
}
