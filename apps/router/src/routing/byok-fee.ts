/**
 * What an org pays Pipevideo for a generation that runs on its own provider key (bring your own key,
 * issue 22): the provider bills the org directly, Pipevideo charges only its platform fee, set by the
 * operator as a flat part per request plus a percentage of the route's list price, rounded up to a cent
 * — and never more than the list price itself (bringing a key never costs more than not).
 */
export interface ByokFeeConfig {
  /** `PIPEVIDEO_BYOK_FEE_CENTS`: cents per request (default 1). */
  flatCents: number;
  /** `PIPEVIDEO_BYOK_FEE_PERCENT`: percent of the route's list price (default 0). */
  percent: number;
}

export function byokFeeCents(listPriceCents: number, cfg: ByokFeeConfig): number {
  const fee = cfg.flatCents + Math.ceil((listPriceCents * cfg.percent) / 100 - 1e-9);
  return Math.max(0, Math.min(listPriceCents, fee));
}

export function validateByokFee(cfg: ByokFeeConfig): void {
  if (!Number.isSafeInteger(cfg.flatCents) || cfg.flatCents < 0) throw new Error(`PIPEVIDEO_BYOK_FEE_CENTS must be a non-negative integer (got ${cfg.flatCents})`);
  if (!Number.isFinite(cfg.percent) || cfg.percent < 0 || cfg.percent > 100) throw new Error(`PIPEVIDEO_BYOK_FEE_PERCENT must be between 0 and 100 (got ${cfg.percent})`);
}
