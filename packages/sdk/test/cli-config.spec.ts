import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig, writeConfig } from '../src/cli/config';

describe('CLI config', () => {
  it('is written 0600 in a 0700 directory, also over an older file that was wider', async () => {
    const env = { PIPEVIDEO_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'pv-cfg-')), 'pipevideo') };
    const file = await writeConfig({ apiKey: 'pv_x', baseUrl: 'http://h' }, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(env.PIPEVIDEO_CONFIG_DIR).mode & 0o777).toBe(0o700);
    writeFileSync(file, '{}', { mode: 0o644 });
    await writeConfig({ apiKey: 'pv_y' }, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await readConfig(env)).toEqual({ apiKey: 'pv_y' });
  });
});
