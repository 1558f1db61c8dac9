/**
 * The wire under our messaging: NATS in production and whenever NATS_URL answers, or the
 * in-process bus in embedded mode. Both move serialised strings only, so nothing works in-process
 * that would break on NATS.
 */
export interface Transport {
  readonly kind: 'nats' | 'inprocess';
  /** Request/reply: rejects fast when nobody answers, and after timeoutMs. */
  request(subject: string, data: string, timeoutMs: number): Promise<string>;
  /**
   * Broadcast (core NATS publish, at most once): every subscriber of every replica gets it; nothing is
   * stored, so use it only for notices whose loss a subscriber survives (see `subscribe`'s `onGap`).
   */
  publish(subject: string, data: string): void;
  /**
   * Every broadcast on `pattern` (NATS wildcards `*` and `>`), no queue group: each replica gets each one.
   * `onGap` runs when broadcasts may have been missed (the connection dropped or came back), so a
   * subscriber keeping state from them can drop it.
   */
  subscribe(pattern: string, handler: (subject: string, data: string) => void, onGap?: () => void): () => void;
  close(): Promise<void>;
}

/** True when a NATS subject matches a subscription pattern (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
