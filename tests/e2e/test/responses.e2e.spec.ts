/**
 * The OpenAI-compatible Responses API driven by the official `openai` SDK against the running platform:
 * a customer only changes baseURL and apiKey.
 */
import OpenAI from 'openai';
import { http, waitFor } from './harness/http';
import { balanceOf, settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

describe('Responses API with the openai SDK (microservices mode)', () => {
  let p: Platform;
  let key: string;
  let client: OpenAI;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'responses org')).key;
    client = new OpenAI({ apiKey: key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  const until = (id: string, statuses: string[]) =>
    waitFor(`response ${id}`, async () => {
      const r = await client.responses.retrieve(id);
      return statuses.includes(r.status as string) ? r : undefined;
    }, 60_000);

  it('create → retrieve until completed: output_video_url and token usage, billed once, in /v1/usage', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'A cat walking on a beach at sunset', provider: { order: ['framerate'] } } as any);
    expect(created.object).toBe('response');
    expect(created.status).toBe('queued');
    expect((created as any).engine).toBe('hyperframes');
    expect((created as any).output_video_url).toBeNull();
    const done: any = await until(created.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.output_video_url).toMatch(/\/video\.mp4\?expires=\d+&signature=[0-9a-f]{64}$/); // our stored copy, signed
    expect(done.output[0].content[0]).toMatchObject({ type: 'output_video', video_url: { url: done.output_video_url } });
    expect(done.usage.input_tokens).toBeGreaterThan(0);
    expect(done.usage.total_tokens).toBe(done.usage.input_tokens + done.usage.output_tokens);
    expect(done.usage.cost_usd).toBeGreaterThan(0);
    // cost_usd is the exact token cost; the ledger charged it rounded up to whole cents.
    expect(done.usage.charged_cents).toBe(Math.ceil(Number((done.usage.cost_usd * 100).toFixed(6))));
    expect(done.latency_ms).toBeGreaterThan(0);
    expect(String(done.completed_at).length).toBeGreaterThanOrEqual(13); // milliseconds, as spec 002 shows
    const after = await settledBalance(p.baseUrl, key);
    expect(before.balance_cents - after.balance_cents).toBe(done.usage.charged_cents);
    const usage = await http('GET', `${p.baseUrl}/v1/usage`, { key });
    await waitFor('usage row', async () => {
      const u = await http('GET', `${p.baseUrl}/v1/usage`, { key });
      return u.body.data?.some((row: any) => row.id === created.id && row.api === 'responses');
    });
    expect(usage.status).toBe(200);
  });

  it('the hold grows with the input and max_output_tokens; the cap reaches Framerate; usage.cost_usd is exact and charged in full above the hold', async () => {
    if (skip) return;
    const model = 'anthropic/claude-sonnet-4.5'; // $3 / $15 per million tokens: input size shows in cents
    const balance = async () => (await http('GET', `${p.baseUrl}/v1/billing/balance`, { key })).body as { balance_cents: number; held_cents: number };
    /** Creates a response whose submit the sandbox holds for 2.5 s, and reads what billing holds for it meanwhile. */
    const heldFor = async (body: Record<string, unknown>) => {
      await settledBalance(p.baseUrl, key);
      const created = await client.responses.create({ model, ...body } as any);
      const held = await waitFor('the hold', async () => (await balance()).held_cents || undefined, 10_000, 50);
      return { created, held };
    };
    // Small: 36 characters → 1,000 + 10 + 12 = 1,022 estimated input tokens + 1,000 output = 0.3066 + 1.5 → 2¢.
    const small = await heldFor({ input: 'A short prompt [framerate:slow=2500]', max_output_tokens: 1000 });
    expect(small.held).toBe(2);
    const smallDone: any = await until(small.created.id, ['completed', 'failed']);
    expect(smallDone.usage).toMatchObject({ input_tokens: 136, output_tokens: 372, cost_usd: 0.005988, charged_cents: 1, estimated: false });

    // Large: 60,022 characters → 1,000 + 2 × 10 + 10,008 + 10,000 = 21,028 estimated input tokens
    // (UTF-8 bytes / 3) + 1,200 output = 6.3084 + 1.8 → 9¢: the input's 21k tokens are held, not a fixed guess.
    const before = await settledBalance(p.baseUrl, key);
    const bigInput = `${'x'.repeat(30_000)} [framerate:slow=2500]`;
    const large = await heldFor({ input: bigInput, instructions: 'y'.repeat(30_000), max_output_tokens: 1200 });
    expect(large.held).toBe(9);
    expect((large.created as any).max_output_tokens).toBe(1200); // the cap, echoed as OpenAI's response object does
    const done: any = await until(large.created.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    // The cap reached Framerate: the sandbox recorded it and stopped the output there (uncapped: 300 + 2 × 60,022).
    const jobs = await Promise.all(
      p.sandboxes.framerate.requests().filter((r) => r.operation === 'submit' && r.jobId).map(async (r) =>
        (await http('GET', `${p.sandboxes.framerate.url}/v1/jobs/${r.jobId}`, { headers: { authorization: `Bearer ${p.sandboxes.framerate.apiKey}` } })).body),
    );
    expect(jobs.filter((j: any) => j.max_output_tokens === 1200)).toEqual([expect.objectContaining({ model, usage: { input_tokens: 60_122, output_tokens: 1200 } })]);
    // The sandbox counts a token per character (3× the estimate), so this job costs more than its hold:
    // 60,122 × $3/M + 1,200 × $15/M = $0.198366 exactly, charged in full as 20¢ (9 held + 11 from the balance).
    expect(done.usage).toEqual({ input_tokens: 60_122, output_tokens: 1200, total_tokens: 61_322, cost_usd: 0.198366, charged_cents: 20, estimated: false });
    const after = await settledBalance(p.baseUrl, key);
    expect(before.balance_cents - after.balance_cents).toBe(20);
  });

  it('the lottie engine returns the Lottie artifact with its media type', async () => {
    if (skip) return;
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'A bouncing logo', engine: 'lottie' } as any);
    const done: any = await until(created.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.engine).toBe('lottie');
    expect(done.artifact_type).toBe('application/json');
    expect(done.artifact_url).toEqual({ url: expect.stringMatching(/^https?:\/\//), expires_at: expect.any(Number) }); // spec 002: an object
    const lottie = await (await fetch(done.artifact_url.url)).json();
    expect(lottie).toHaveProperty('layers');
  });

  it('cancel before orchestration finishes costs nothing; DELETE answers {id, cancelled: true}', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'slow start [framerate:slow=3000]' } as any);
    const cancelled: any = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    const del = await http('DELETE', `${p.baseUrl}/v1/responses/${created.id}`, { key });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: created.id, cancelled: true });
    await waitFor('hold released', async () => (await balanceOf(p.baseUrl, key)).held_cents === before.held_cents, 30_000);
    expect((await balanceOf(p.baseUrl, key)).balance_cents).toBe(before.balance_cents);
    const again: any = await client.responses.retrieve(created.id);
    expect(again.status).toBe('cancelled');
  });

  it('a failed job is refunded, and an engine slug as model is a 400 in OpenAI error shape', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'breaks [framerate:accept_then_fail]' } as any);
    const done: any = await until(created.id, ['failed', 'completed']);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    await waitFor('refund', async () => {
      const b = await balanceOf(p.baseUrl, key);
      return b.balance_cents === before.balance_cents && b.held_cents === before.held_cents;
    }, 30_000);
    await expect(client.responses.create({ model: 'hyperframes', input: 'x' } as any)).rejects.toMatchObject({ status: 400 });
    const raw = await http('POST', `${p.baseUrl}/v1/responses`, { key, body: { model: 'hyperframes', input: 'x' } });
    expect(raw.body.error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
  });

  it("another org's key cannot read, cancel or delete a response (404)", async () => {
    if (skip) return;
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'private [framerate:slow=1500]' } as any);
    const other = await createFundedOrg(p.baseUrl, p.adminToken, 100, 'other responses org');
    expect((await http('GET', `${p.baseUrl}/v1/responses/${created.id}`, { key: other.key })).status).toBe(404);
    expect((await http('DELETE', `${p.baseUrl}/v1/responses/${created.id}`, { key: other.key })).status).toBe(404);
    expect((await http('POST', `${p.baseUrl}/v1/responses/${created.id}/cancel`, { key: other.key })).status).toBe(404);
    expect((await client.responses.retrieve(created.id)).status).not.toBe('cancelled');
  });

  it('an engine that stops short ends `incomplete`, refunded', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const created = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'too long [framerate:incomplete]' } as any);
    const done: any = await until(created.id, ['incomplete', 'failed', 'completed']);
    expect(done.status).toBe('incomplete');
    expect(done.incomplete_details).toMatchObject({ reason: expect.any(String) });
    expect(done.output_video_url).toBeNull();
    await waitFor('refund', async () => {
      const b = await balanceOf(p.baseUrl, key);
      return b.balance_cents === before.balance_cents && b.held_cents === before.held_cents;
    }, 30_000);
  });

  it('GET /v1/engines lists engines with their orchestration models and token rates', async () => {
    if (skip) return;
    const r = await http('GET', `${p.baseUrl}/v1/engines`, { key });
    expect(r.status).toBe(200);
    const hf = r.body.data.find((e: any) => e.id === 'hyperframes' || e.slug === 'hyperframes');
    expect(hf).toBeDefined();
    expect(JSON.stringify(hf)).toContain('moonshotai/kimi-k2.5');
  });
});
