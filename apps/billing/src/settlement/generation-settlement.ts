import type { DataSource, EntityManager } from 'typeorm';
import type { GenerationFinishedEvt, HoldReleaseRequestedEvt } from '@pipevideo/contracts';
import type { Ledger, TokenChargeInput, TokenChargeResult } from '../ledger/ledger';
import type { ReleaseResult } from '../ledger/holds';
import type { Move } from '../ledger/moves';
import type { UsageBook } from '../usage/usage-book';

/**
 * What billing does when a generation (either API) is final, and when the router abandons an
 * attempt's hold. Runs inside the event's inbox transaction, so a redelivered event changes nothing
 * twice; every ledger step is idempotent on its own as well.
 *
 * generation.finished:
 * - succeeded + holdId: capture the hold at costCents (a `byok_fee` transaction when the generation ran
 *   on the org's own provider key: costCents is then the platform fee). For the Responses API the token charge has
 *   normally captured it already (then nothing moves); if a token charge exists but the hold is
 *   still open, the hold is released instead of charging twice.
 * - not succeeded: release the hold if still open, then refund whatever the generation was charged
 *   (a Responses job that fails after its token charge gets the tokens back: "failed jobs are refunded").
 * - holdId null: only the usage row.
 * - always: upsert the usage row with the net cost from the ledger (charged minus refunds).
 */
export class GenerationSettlement {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: Ledger,
    private readonly usage: UsageBook,
  ) {}

  /** The token charge and its usage row (tokens, cost so far) commit together. */
  async chargeTokens(i: TokenChargeInput & { model?: string }): Promise<TokenChargeResult> {
    return this.ds.transaction(async (m) => {
      const r = await this.ledger.chargeTokens(i, m);
      if (!r.duplicate) {
        const c = await this.ledger.generationCharges(r.generationId, m);
        await this.usage.upsertTokens(
          { generationId: r.generationId, orgId: i.orgId, costCents: c.chargedCents, inputTokens: c.inputTokens, outputTokens: c.outputTokens, model: i.model },
          m,
        );
      }
      return r;
    });
  }

  async onGenerationFinished(m: EntityManager, e: GenerationFinishedEvt): Promise<Move[]> {
    const out: Move[] = [];
    if (e.holdId) {
      if (e.succeeded) {
        if (e.api === 'responses' && (await this.ledger.hasTokenCharge(e.generationId, m))) {
          out.push(...(await this.ledger.release({ holdId: e.holdId, orgId: e.orgId, reason: 'settled by token charge' }, m)).moves);
        } else {
          const cost = e.costCents;
          const kind = e.byok ? 'byok_fee' : 'capture';
          out.push(...(await this.ledger.capture({ holdId: e.holdId, amountCents: cost, orgId: e.orgId, generationId: e.generationId, kind }, m)).moves);
        }
      } else {
        out.push(...(await this.ledger.release({ holdId: e.holdId, orgId: e.orgId, reason: 'generation failed' }, m)).moves);
      }
    }
    // A Responses job cancelled after orchestration keeps its token charge (the orchestration ran).
    if (!e.succeeded && !e.keepTokenCharge) {
      out.push(...(await this.ledger.refundGeneration({ generationId: e.generationId, reason: e.errorMessage ?? 'generation failed' }, m)).moves);
    }
    const charges = await this.ledger.generationCharges(e.generationId, m);
    await this.usage.upsert(
      {
        id: e.generationId,
        orgId: e.orgId,
        api: e.api,
        model: e.model,
        provider: e.provider,
        status: e.status,
        costCents: charges.chargedCents,
        inputTokens: charges.inputTokens,
        outputTokens: charges.outputTokens,
        appTitle: e.appTitle ?? null,
        finishedAt: e.finishedAt,
        byok: !!e.byok,
      },
      m,
    );
    return out;
  }

  async onHoldReleaseRequested(m: EntityManager, e: HoldReleaseRequestedEvt): Promise<Move[]> {
    return (await this.releaseHold(m, e)).moves;
  }

  /** The release a `hold.release_requested` event asks for, with what it did (`released` only when an open hold was released). */
  releaseHold(m: EntityManager, e: Pick<HoldReleaseRequestedEvt, 'holdId' | 'orgId' | 'reason'>): Promise<ReleaseResult> {
    return this.ledger.release({ holdId: e.holdId, orgId: e.orgId, reason: e.reason }, m);
  }
}
