// Reconnect delays: exponential, capped, with "equal jitter" (half fixed, half random) so
// that a server restart does not bring every client back in the same instant.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt number `attempt` (0-based): in [cap/2, cap]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
