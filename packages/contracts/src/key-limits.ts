/**
 * Key spend limits: a key may carry `limit_cents` spent per `limit_reset` period. Windows are calendar
 * periods in UTC — daily from 00:00, weekly from Monday 00:00, monthly from the 1st 00:00 — or the key's
 * whole life (`none`). Computed the same way by the gateway (what `GET /v1/keys` shows) and billing
 * (what the hold enforces), so both name the same reset time.
 */
export const KEY_LIMIT_RESETS = ['daily', 'weekly', 'monthly', 'none'] as const;
export type KeyLimitReset = (typeof KEY_LIMIT_RESETS)[number];

/** A key's limit as it travels with a create (gateway → router → billing). */
export interface KeyLimit {
  limitCents: number;
  reset: KeyLimitReset;
}

/** The current window of a limit: spend since `start` counts; `resetsAt` null = never resets. */
export function keyLimitWindow(reset: KeyLimitReset, now: Date = new Date()): { start: Date; resetsAt: Date | null } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (reset) {
    case 'daily':
      return { start: new Date(Date.UTC(y, m, d)), resetsAt: new Date(Date.UTC(y, m, d + 1)) };
    case 'weekly': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      return { start: new Date(Date.UTC(y, m, d - sinceMonday)), resetsAt: new Date(Date.UTC(y, m, d - sinceMonday + 7)) };
    }
    case 'monthly':
      return { start: new Date(Date.UTC(y, m, 1)), resetsAt: new Date(Date.UTC(y, m + 1, 1)) };
    default:
      return { start: new Date(0), resetsAt: null };
  }
}

const PERIOD: Record<KeyLimitReset, string> = { daily: 'per day', weekly: 'per week', monthly: 'per month', none: 'in total' };

/** Every refusal of a hold by a key's spend limit starts with this. */
export const KEY_LIMIT_MESSAGE_PREFIX = 'Key spend limit reached';

/** The 400 a create gets when the key's remaining limit cannot cover it: names the limit and when it resets. */
export function keyLimitRefusalMessage(o: { keyId: string; limitCents: number; reset: KeyLimitReset; spentCents: number; neededCents: number; resetsAt: Date | null }): string {
  const left = Math.max(0, o.limitCents - o.spentCents);
  const when = o.resetsAt ? `it resets at ${o.resetsAt.toISOString()}` : 'it does not reset (limit_reset: none)';
  return `${KEY_LIMIT_MESSAGE_PREFIX}: key ${o.keyId} may spend ${o.limitCents} cents ${PERIOD[o.reset]}; ${left} cents are left and this request needs ${o.neededCents} cents; ${when}. Raise the key's limit_cents (PATCH /v1/keys/${o.keyId}) or use another key`;
}
