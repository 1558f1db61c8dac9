import { createHash } from 'node:crypto';
import {
  BYOK_PROVIDERS, DomainError, ErrorCode, type ByokProvider, type ProviderKeyDeleteReply, type ProviderKeyListReply, type ProviderKeyView,
} from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import type { ProviderCredentials } from '../adapters/provider-adapter';
import type { AdapterSet } from '../jobs/adapter-set';
import type { ByokMetrics } from './byok-metrics';
import { KeyCipher, keyContext } from './key-cipher';
import type { ProviderKeyRow, ProviderKeyStore } from './provider-key-store';

/**
 * Bring your own key (issue 22): an org's own fal / Replicate key. The providers service holds it
 * because it is the only service that calls providers: the key is verified here with the provider's
 * cheapest authenticated call, stored encrypted (KeyCipher) in this service's schema, and decrypted only
 * for the call that needs it (submit, poll, cancel, a callback's signature check). No other service, log
 * line or answer ever sees it again; the public view is its last four characters.
 *
 * `onChanged(orgId)` runs after an org's key is saved or deleted and the change is committed (each is
 * one autocommitted statement): the composition broadcasts `provider_keys.changed` so routers drop
 * what they cache of the org's keys. It is a notice whose loss the routers survive, so its failure
 * never fails the change.
 */
export class ProviderKeys {
  constructor(
    private readonly store: ProviderKeyStore,
    private readonly cipher: KeyCipher,
    private readonly adapters: AdapterSet,
    private readonly metrics: ByokMetrics,
    private readonly onChanged: (orgId: string) => void = () => undefined,
  ) {}

  async put(orgId: string, provider: ByokProvider, key: string): Promise<ProviderKeyView> {
    const trimmed = key.trim();
    if (trimmed.length < 8) throw new DomainError(ErrorCode.BAD_REQUEST, `key: a ${provider} key is longer than 8 characters; paste the whole key`);
    const adapter = this.adapters.get(provider);
    if (!adapter?.verifyKey) throw new DomainError(ErrorCode.BAD_REQUEST, `provider: ${provider} is not available on this Pipevideo deployment`);
    const check = await adapter.verifyKey(trimmed);
    if (!check.ok) {
      this.metrics.verifications.inc({ provider, result: check.reason });
      if (check.reason === 'unavailable') throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${check.message}; nothing was stored, retry shortly`);
      throw new DomainError(ErrorCode.BAD_REQUEST, `key: ${check.message}. Check that it is a valid ${provider} API key of your account; nothing was stored`);
    }
    this.metrics.verifications.inc({ provider, result: 'verified' });
    const row = await this.store.upsert({
      orgId,
      provider,
      ciphertext: this.cipher.encrypt(trimmed, keyContext(orgId, provider)),
      keyId: this.cipher.currentKeyId,
      last4: trimmed.slice(-4),
      accountId: check.accountId,
    });
    logger.info({ orgId, provider, last4: row.last4 }, 'provider key stored (bring your own key)');
    this.changed(orgId);
    return view(row);
  }

  async list(orgId: string): Promise<ProviderKeyListReply> {
    return { object: 'list', data: (await this.store.list(orgId)).map(view), has_more: false, next_cursor: null };
  }

  async delete(orgId: string, provider: ByokProvider): Promise<ProviderKeyDeleteReply> {
    const deleted = await this.store.delete(orgId, provider);
    if (!deleted) throw new DomainError(ErrorCode.NOT_FOUND, `no ${provider} key is stored for your organization`);
    this.changed(orgId);
    return { object: 'provider_key', provider, deleted: true };
  }

  private changed(orgId: string): void {
    try {
      this.onChanged(orgId);
    } catch (err) {
      logger.warn({ err: String(err), orgId }, 'provider_keys.changed notice not sent');
    }
  }

  /** The providers the org has a key for (only providers this deployment runs). */
  async active(orgId: string): Promise<ByokProvider[]> {
    return (await this.store.list(orgId)).map((r) => r.provider as ByokProvider).filter((p) => BYOK_PROVIDERS.includes(p) && !!this.adapters.get(p));
  }

  /**
   * The account a stored job runs on: undefined for the platform's own key; for a job on the org's own
   * key, its credentials, or null when the org deleted the key while the job ran (then the job cannot
   * be polled or cancelled upstream; fal callbacks still verify against the account recorded at submit).
   */
  async ofJob(job: { org_id: string | null; provider: string; byok: boolean; byok_account_id: string | null }): Promise<ProviderCredentials | null | undefined> {
    if (!job.byok || !job.org_id) return undefined;
    const c = await this.credentials(job.org_id, job.provider);
    return c ? { ...c, accountId: job.byok_account_id } : null;
  }

  /** The org's key for a call, decrypted now; null when none is stored (deleted meanwhile). */
  async credentials(orgId: string, provider: string): Promise<ProviderCredentials | null> {
    const row = await this.store.get(orgId, provider);
    if (!row) return null;
    const apiKey = this.cipher.decrypt(row.ciphertext, keyContext(orgId, provider));
    return { apiKey, accountId: row.account_id, accountRef: `${orgId}:${provider}:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}` };
  }
}

function view(r: ProviderKeyRow): ProviderKeyView {
  const s = (d: Date) => Math.floor(new Date(d).getTime() / 1000);
  return { object: 'provider_key', provider: r.provider as ByokProvider, last4: r.last4, verified_at: s(r.verified_at), created_at: s(r.created_at), updated_at: s(r.updated_at) };
}
