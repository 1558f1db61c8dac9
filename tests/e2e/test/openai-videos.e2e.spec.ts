/**
 * OpenAI's Videos API driven by the official `openai` SDK (`client.videos.*`) against the running
 * platform: a customer only changes baseURL and apiKey. The same generations as /v1/video/generations
 * (one id, one hold, one charge), OpenAI's object and error shapes, uploads, deletion and download.
 */
import OpenAI, { toFile } from 'openai';
import type { Video } from 'openai/resources/videos';
import { SAMPLE_MP4 } from '@pipevideo/sandboxes';
import { http, pollGeneration, waitFor } from './harness/http';
import { balanceOf, settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

/**
 * OpenAI's create-and-poll: the Node SDK has no `videos.createAndPoll` (only the Python SDK has
 * `create_and_poll`; checked up to openai 7.60), so this is the loop it runs — SDK calls only.
 */
async function createAndPoll(client: OpenAI, body: OpenAI.Videos.VideoCreateParams): Promise<Video> {
  const created = await client.videos.create(body);
  return waitFor(`video ${created.id}`, async () => {
    const v = await client.videos.retrieve(created.id);
    return v.status === 'completed' || v.status === 'failed' ? v : undefined;
  }, 60_000, 200);
}

describe('OpenAI Videos API with the openai SDK (microservices mode)', () => {
  let p: Platform;
  let key: string;
  let client: OpenAI;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 20_000, 'openai videos org')).key;
    client = new OpenAI({ apiKey: key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('create → poll → downloadContent: one generation behind both faces, billed once', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const created = await client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'A cat walking on a beach at sunset', seconds: '4', size: '1280x720' });
    expect(created).toMatchObject({ object: 'video', status: 'queued', progress: 0, model: 'google/veo-3.1', seconds: '4', size: '1280x720', prompt: 'A cat walking on a beach at sunset', error: null, completed_at: null });
    expect(created.id).toMatch(/^gen_/);

    const done = await waitFor('completed', async () => {
      const v = await client.videos.retrieve(created.id);
      expect(['queued', 'in_progress', 'completed']).toContain(v.status);
      expect(v.progress).toBe({ queued: 0, in_progress: 50, completed: 100 }[v.status as string]);
      return v.status === 'completed' ? v : undefined;
    });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    // OpenAI's expires_at: when the stored file is deleted (the deployment's retention, 7 days by default).
    expect(done.expires_at).toBeGreaterThanOrEqual(done.completed_at! + 7 * 24 * 3600 - 60);

    // The same generation on the generations API: same id, what was made, what it cost.
    const g = await pollGeneration(p.baseUrl, key, created.id);
    expect(g).toMatchObject({ id: created.id, status: 'completed', model: 'google/veo-3.1', duration: 4, resolution: '720p' });
    const after = await settledBalance(p.baseUrl, key);
    expect(before.balance_cents - after.balance_cents).toBe(g.cost_cents);
    expect(g.cost_cents).toBeGreaterThan(0);
    // What the provider was asked for: 16:9 at 720p, 4 s.
    const submit = p.sandboxes.fal.requests().filter((e) => e.operation === 'submit' && JSON.stringify(e.body).includes('beach at sunset')).at(-1);
    expect(submit?.body).toMatchObject({ aspect_ratio: '16:9', resolution: '720p' });

    const res = await client.videos.downloadContent(created.id);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
  });

  it("create-and-poll with an uploaded input_reference (multipart, as the SDK sends it) reaches the provider as a data: URI", async () => {
    if (skip) return;
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(2048, 7)]);
    const v = await createAndPoll(client, { model: 'google/veo-3.1' as any, prompt: 'Animate this picture [upload-test]', input_reference: await toFile(png, 'cat.png', { type: 'image/png' }) });
    expect(v.status).toBe('completed');
    const submit = p.sandboxes.fal.requests().filter((e) => e.operation === 'submit' && JSON.stringify(e.body).includes('[upload-test]')).at(-1);
    expect(JSON.stringify(submit?.body)).toContain(`data:image/png;base64,${png.toString('base64')}`);

    // By URL ({image_url}) works the same way; a file larger than 512 KiB is a 413 saying what to do.
    const byUrl = await client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'From a URL', input_reference: { image_url: 'https://example.com/cat.png' } });
    expect(byUrl.status).toBe('queued');
    const big = await client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'too big', input_reference: await toFile(Buffer.alloc(600 * 1024, 1), 'big.png', { type: 'image/png' }) }).catch((e) => e);
    expect(big).toBeInstanceOf(OpenAI.APIError);
    expect(big.status).toBe(413);
    expect(big.error).toMatchObject({ type: 'invalid_request_error' });
    expect(big.message).toMatch(/512 KiB/);
  });

  it('list pages with after/last_id in either order (the SDK auto-paginates)', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'list org');
    const c = new OpenAI({ apiKey: org.key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await c.videos.create({ model: 'wan/2.5' as any, prompt: `clip ${i}` })).id);
    const page = await c.videos.list({ limit: 2 });
    expect(page.data.map((v) => v.id)).toEqual([ids[4], ids[3]]);
    expect(page.has_more).toBe(true);
    expect((page as any).last_id).toBe(ids[3]);
    const all: string[] = [];
    for await (const v of c.videos.list({ limit: 2 })) all.push(v.id);
    expect(all).toEqual([...ids].reverse());
    const asc: string[] = [];
    for await (const v of c.videos.list({ limit: 3, order: 'asc' })) asc.push(v.id);
    expect(asc).toEqual(ids);
    // An `after` that is not one of ours is a 400, another org's videos never show.
    await expect(c.videos.list({ after: 'gen_nope' })).rejects.toMatchObject({ status: 400 });
    const mine = await client.videos.list({ limit: 100 });
    expect(mine.data.some((v) => ids.includes(v.id))).toBe(false);
  });

  it('delete cancels a running video (hold released, provider asked to stop, nothing charged), then it is gone from every face', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    // never_callback: fal runs the job and never calls back, so it stays in progress.
    const v = await client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'A long take [fal:never_callback]' });
    await waitFor('in progress', async () => (await client.videos.retrieve(v.id)).status === 'in_progress');
    expect((await balanceOf(p.baseUrl, key)).held_cents).toBeGreaterThan(0);

    const deleted = await client.videos.delete(v.id);
    expect(deleted).toEqual({ id: v.id, object: 'video.deleted', deleted: true });
    await expect(client.videos.retrieve(v.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.videos.delete(v.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await http('GET', `${p.baseUrl}/v1/video/generations/${v.id}`, { key })).status).toBe(404);
    const listed = await http('GET', `${p.baseUrl}/v1/video/generations?limit=100`, { key });
    expect(listed.body.data.some((g: any) => g.id === v.id)).toBe(false);
    const after = await settledBalance(p.baseUrl, key);
    expect(after.balance_cents).toBe(before.balance_cents);
    await waitFor('upstream cancel', async () => p.sandboxes.fal.requests().some((e) => e.operation === 'cancel'));

    // A finished video is deleted the same way (its charge stays: the video was made).
    const finished = await createAndPoll(client, { model: 'wan/2.5' as any, prompt: 'done and deleted' });
    expect((await client.videos.delete(finished.id)).deleted).toBe(true);
    await expect(client.videos.downloadContent(finished.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("refusals are OpenAI-shaped 4xx that say what to do, never a 5xx", async () => {
    if (skip) return;
    const err = async (p: Promise<unknown>) => {
      const e = await p.then(() => undefined, (x) => x);
      expect(e).toBeInstanceOf(OpenAI.APIError);
      expect(e.error).toEqual(expect.objectContaining({ message: expect.any(String), type: expect.any(String), code: expect.any(String) }));
      return e as InstanceType<typeof OpenAI.APIError>;
    };
    // A duration the model does not make (durations are exact per model: GET /v1/models).
    const seconds = await err(client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'x', seconds: '12' }));
    expect(seconds.status).toBe(400);
    expect(seconds.message).toMatch(/4, 6, 8/);
    expect((await err(client.videos.create({ prompt: 'no model' } as any))).error).toMatchObject({ param: 'model' });
    expect((await err(client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'x', size: 'huge' as any }))).error).toMatchObject({ param: 'size' });
    expect((await err(client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'x', size: '720x720' as any }))).message).toMatch(/aspect ratio 1:1/);
    expect((await err(client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'x', input_reference: { file_id: 'file_abc' } }))).message).toMatch(/Files API/);
    expect((await err(client.videos.remix('gen_abc', { prompt: 'x' }))).status).toBe(404);
    // Content: not ready yet → 409; a variant we do not keep → 400; someone else's id → 404.
    const running = await client.videos.create({ model: 'google/veo-3.1' as any, prompt: 'still running [fal:never_callback]' });
    const notReady = await err(client.videos.downloadContent(running.id));
    expect(notReady.status).toBe(409);
    expect(notReady.message).toMatch(/not completed yet/);
    expect((await err(client.videos.downloadContent(running.id, { variant: 'thumbnail' }))).status).toBe(400);
    const other = await createFundedOrg(p.baseUrl, p.adminToken, 1_000, 'other org');
    const stranger = new OpenAI({ apiKey: other.key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
    for (const call of [stranger.videos.retrieve(running.id), stranger.videos.delete(running.id), stranger.videos.downloadContent(running.id)]) expect((await err(call)).status).toBe(404);
    // No balance: the create is refused before anything is queued.
    const broke = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'broke org');
    const poor = new OpenAI({ apiKey: broke.key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
    expect((await err(poor.videos.create({ model: 'google/veo-3.1' as any, prompt: 'x' }))).message).toMatch(/Insufficient balance/);
    // Multipart is for POST /v1/videos only.
    const form = new FormData();
    form.set('model', 'google/veo-3.1');
    const r = await fetch(`${p.baseUrl}/v1/video/generations`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    expect(r.status).toBe(415);
    await client.videos.delete(running.id);
  });
});
