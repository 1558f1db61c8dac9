import { Registry } from 'prom-client';
import { logger } from '@pipevideo/platform';
import type { KeyCheck, ProviderAdapter } from '../adapters/provider-adapter';
import { AdapterSet } from '../jobs/adapter-set';
import { loadProvidersConfig } from '../providers.config';
import { ProviderMetrics } from '../providers.metrics';
import { ByokMetrics } from './byok-metrics';
import { KeyCipher } from './key-cipher';
import type { ProviderKeyRow, ProviderKeyStore } from './provider-key-store';
import { ProviderKeys } from './provider-keys';

/** Plain fakes: when `onChanged` (the composition's `provider_keys.changed` broadcast) fires. */
function setup(check: KeyCheck, onChanged?: (orgId: string) => void) {
  const stored = new Map<string, ProviderKeyRow>();
  const store = {
    upsert: async (k: { orgId: string; provider: string; ciphertext: string; keyId: string; last4: string; accountId: string | null }) => {
      const now = new Date();
      const row: ProviderKeyRow = { org_id: k.orgId, provider: k.provider, ciphertext: k.ciphertext, key_id: k.keyId, last4: k.last4, account_id: k.accountId, verified_at: now, created_at: now, updated_at: now };
      stored.set(`${k.orgId}:${k.provider}`, row);
      return row;
    },
    delete: async (orgId: string, provider: string) => stored.delete(`${orgId}:${provider}`),
  } as unknown as ProviderKeyStore;
  const adapter = { slug: 'fal', mode: 'callback', api: 'video', verifyKey: async () => check } as unknown as ProviderAdapter;
  const adapters = new AdapterSet(loadProvidersConfig(), new ProviderMetrics(new Registry()), [adapter]);
  const changed: string[] = [];
  const keys = new ProviderKeys(store, KeyCipher.development(), adapters, new ByokMetrics(new Registry()), onChanged ?? ((orgId) => changed.push(orgId)));
  return { keys, changed, stored };
}

describe('provider keys: the change notice', () => {
  afterEach(() => jest.restoreAllMocks());

  it('fires once the key is stored, and once it is deleted', async () => {
    const { keys, changed, stored } = setup({ ok: true, accountId: 'acct-1' });
    await keys.put('org_a', 'fal', 'fal-key-0123456789');
    expect(stored.size).toBe(1);
    expect(changed).toEqual(['org_a']);
    await keys.delete('org_a', 'fal');
    expect(stored.size).toBe(0);
    expect(changed).toEqual(['org_a', 'org_a']);
  });

  it('does not fire for a put the provider refuses, nor for a delete of a key that is not there', async () => {
    const { keys, changed, stored } = setup({ ok: false, reason: 'invalid', message: 'key refused' });
    await expect(keys.put('org_a', 'fal', 'fal-key-0123456789')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(keys.put('org_a', 'fal', 'short')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(keys.delete('org_a', 'fal')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(stored.size).toBe(0);
    expect(changed).toEqual([]);
  });

  it('a notice that cannot be sent does not fail the change (the key is stored)', async () => {
    const { keys, stored } = setup({ ok: true, accountId: null }, () => {
      throw new Error('NATS connection closed');
    });
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await expect(keys.put('org_a', 'fal', 'fal-key-0123456789')).resolves.toMatchObject({ provider: 'fal', last4: '6789' });
    expect(stored.size).toBe(1);
    expect(warned).toHaveBeenCalledTimes(1);
  });
});
