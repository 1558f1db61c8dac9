import { http } from './http';

/** The org's balance as `GET /v1/usage` shows it. */
export async function balanceOf(baseUrl: string, key: string): Promise<{ balance_cents: number; held_cents: number; available_cents: number }> {
  const r = await http('GET', `${baseUrl}/v1/usage`, { key });
  if (r.status !== 200) throw new Error(`usage: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.balance ?? r.body;
}
