import { Counter, type Registry } from 'prom-client';

/** Bring-your-own-key metrics; labels are bounded (provider slug, result enum). */
export class ByokMetrics {
  /** result: verified, invalid (the provider refused the key), unavailable (the provider could not be asked). */
  readonly verifications: Counter<'provider' | 'result'>;
  /** Jobs submitted on an org's own key, by provider and outcome (submitted, or the failure kind; key_missing: deleted meanwhile). */
  readonly jobs: Counter<'provider' | 'outcome'>;

  constructor(registry: Registry) {
    this.verifications = new Counter({
      name: 'pipevideo_byok_key_verifications_total',
      help: 'Checks of a key an org brings (PUT /v1/provider-keys), by provider and result (verified, invalid, unavailable)',
      labelNames: ['provider', 'result'],
      registers: [registry],
    });
    this.jobs = new Counter({
      name: 'pipevideo_byok_jobs_total',
      help: "Provider jobs submitted on an org's own key, by provider and outcome (submitted, key_missing, or the provider error kind)",
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    });
  }
}
