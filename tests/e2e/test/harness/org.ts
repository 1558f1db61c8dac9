import { http } from './http';

/** The org's balance as `GET /v1/usage` shows it. */
export async function balanceOf(baseUrl: string, key: string): Promise<{ balance_cents: number; held_cents: number; available_cents: number; owed_cents: number }> {
  const r = await http('GET', `${baseUrl}/v1/usage`, { key });
  if (r.status !== 200) throw new Error(`usage: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.balance ?? r.body;
}

/**
 * The org's balance once nothing is held. Billing settles a generation from its durable
 * `generation.finished` event, a few milliseconds after the generation reads final, so a test that
 * compares balances must first wait for every earlier hold to be captured or released.
 */
export async function settledBalance(baseUrl: string, key: string, timeoutMs = 30_000): Promise<{ balance_cents: number; held_cents: number; available_cents: number; owed_cents: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await balanceOf(baseUrl, key);
    if (b.held_cents === 0) return b;
    if (Date.now() > deadline) throw new Error(`holds still open after ${timeoutMs} ms: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
