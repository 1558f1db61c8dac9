import {
  DomainError, ErrorCode, generationFailureMessage, GenerationErrorCode, MODEL_SKIPPING_PROVIDER_ERRORS, ProviderErrorKind, publicGenerationErrorCode, SubmitJobMsg,
  SubmitJobResult,
} from '@pipevideo/contracts';
import { logger, withCorrelationId } from '@pipevideo/platform';
import { GenerationStore } from './generation.store';
import type { CandidateSnapshot, GenerationRow, PlannedAttempt } from './generation.types';

/** What the dispatcher needs from the outside world (billing, providers, breakers, metrics). */
export interface DispatchPorts {
  /**
   * Places a hold (against the generation's API key and its spend limit, when it has one); `ok: false`
   * with billing's reason when the org cannot cover it or the key's limit would be passed. Throws when
   * billing cannot be reached.
   */
  placeHold(g: GenerationRow, holdId: string, amountCents: number): Promise<HoldAnswer>;
  /**
   * Releases the hold of an attempt closed with its release requested (the outbox event, its backstop, is
   * written): a fallback asks for it before holding for its next route. Throws when billing cannot be reached.
   */
  releaseHold(g: GenerationRow, holdId: string, reason: string): Promise<void>;
  submit(msg: Omit<SubmitJobMsg, 'v' | 'correlationId'>): Promise<SubmitJobResult>;
  cancel(generationId: string, attempt: number): Promise<void>;
  breakerIsOpen(routeId: string): boolean;
  /** Runs the submit through the route's breaker; rejects with an error when the breaker is open. */
  throughBreaker(routeId: string, fn: () => Promise<SubmitJobResult>): Promise<SubmitJobResult>;
  onFallback(reason: string): void;
  /** A route failed a submit (route health): retryable provider errors only, never our own refusals or an open breaker. */
  onRouteFailure(routeId: string, kind: string): void;
  /** Builds the provider parameters of a candidate from the stored request. */
  params(g: GenerationRow, c: CandidateSnapshot): Record<string, unknown>;
  /**
   * Bring your own key: the providers an org has its own key for (asked only when a candidate's
   * provider takes one; cached by the caller), and the platform fee held instead of a route's list
   * price on them.
   */
  byokProviders(orgId: string): Promise<ReadonlySet<string>>;
  byokFee(listPriceCents: number): number;
  /** Providers an org may bring its own key for. */
  byokCapable: ReadonlySet<string>;
  /** An attempt was submitted on the org's own key (metrics). */
  onByok(provider: string): void;
  /** A submit failed on our side and will be retried on the same route (`retried`), or fell back after the retry window (`gave_up`). */
  onOurSideFailure?(routeId: string, outcome: 'retried' | 'gave_up'): void;
}

/**
 * A submit that failed on our side, not the provider's: the providers service did not answer in time
 * (our overload) or could not be reached. It says nothing about the route, so it never counts against
 * the route's breaker or health, and the job stays on the route it was priced on.
 */
export function isOurSideFailure(err: unknown): boolean {
  return err instanceof DomainError && err.code === ErrorCode.SERVICE_UNAVAILABLE;
}

/** Why billing refused a hold: the balance, or the API key's spend limit. */
export type HoldRefusal = 'insufficient_balance' | 'key_limit';
export type HoldAnswer = { ok: true } | { ok: false; message: string; reason: HoldRefusal; details?: unknown };

/** An attempt whose hold is placed, ready to submit. */
export interface Reserved {
  kind: 'reserved';
  /** Index of its candidate. */
  idx: number;
  attempt: number;
  holdId: string;
  /** What the hold is: the route's list price, or the platform fee when it runs on the org's own key. */
  holdCents: number;
  byok: boolean;
}

/**
 * What reserving found: a held attempt; no affordable candidate left (`message`: billing's answer for
 * the cheapest); no candidate left at all (breakers open); or the generation ended meanwhile.
 */
export type Reservation = Reserved | { kind: 'insufficient'; message: string; reason: HoldRefusal; details?: unknown } | { kind: 'exhausted' } | { kind: 'ended' };

export interface DispatchConfig {
  leaseMs: number;
  callbackTimeoutMs: number;
  pollTimeoutMs: number;
  /** Wait before submitting again an attempt whose submit failed on our side. */
  retryBackoffMs?: number;
  /** How long from an attempt's start such a submit is retried on the same route before falling back. */
  retryWindowMs?: number;
}

/**
 * Drives a generation through its candidate routes: hold → submit → processing, falling back to the
 * next route (then the next model) on retryable provider errors, and past routes the org cannot afford. Holds are per attempt
 * (`<generationId>:<attempt>`), so the hold always follows the route actually used. A lease on the
 * row makes it safe with several router replicas; a replica that dies mid-dispatch leaves a lease
 * that expires, and the sweeper calls drive() again.
 */
export class Dispatcher {
  /**
   * Generations this replica deferred after a failure on our side, waiting for their retry (part of the
   * dispatch queue), with when the entry stops counting: another replica's sweeper may retry it, so an
   * entry is forgotten three backoffs later whoever drove it.
   */
  private readonly deferred = new Map<string, number>();
  /** Holds this replica had billing release (see releaseClosed), newest last, at most RELEASED_HOLDS_REMEMBERED. */
  private readonly releasedHolds = new Set<string>();

  /** How many generations wait for a retry after a failure on our side. */
  deferredCount(now = Date.now()): number {
    for (const [id, until] of this.deferred) if (until <= now) this.deferred.delete(id);
    return this.deferred.size;
  }

  constructor(
    private readonly store: GenerationStore,
    private readonly ports: DispatchPorts,
    private readonly cfg: DispatchConfig,
    private readonly owner: string,
  ) {}

  /**
   * Dispatches a generation this replica can lease. `fresh` is the row just inserted by this replica
   * (its lease is already ours), which saves the claim round trip on the hot create path; `reserved`
   * is the attempt the create already holds money for (see `reserve`), which is submitted first.
   */
  async drive(id: string, fresh?: GenerationRow, reserved?: Reserved): Promise<void> {
    const g = fresh ?? (await this.store.claimForDispatch(id, this.owner, this.cfg.leaseMs));
    if (!g) return;
    this.deferred.delete(id);
    try {
      // Whoever drives it (the request, a completion event, the sweeper), logs and calls carry the id of the request that created it.
      await withCorrelationId(g.correlation_id ?? undefined, () => this.run(g, reserved));
      // markSubmitted and finish clear the lease in the same statement; nothing more to write.
    } catch (err) {
      logger.warn({ generationId: id, err: String(err) }, 'dispatch interrupted; will retry');
      if (isOurSideFailure(err)) {
        // Billing (or the providers service) did not answer: the sweeper retries after a jittered pause,
        // not on its next tick, so an outage is not met with a drive per generation every second.
        await this.deferRetry(id).catch(() => undefined);
      } else {
        // Anything else: give the lease back so the sweeper retries soon.
        await this.store.releaseLease(id, this.owner).catch(() => undefined);
      }
    }
  }

  /**
   * The first candidate from `fromIdx` whose breaker is closed, and the hold it needs (list price, or
   * the platform fee on the org's own key, asked now: a key deleted a moment ago is not used). The
   * create plans its first attempt with this before the insert, so generation and attempt are one write.
   */
  async plan(g: Pick<GenerationRow, 'api' | 'org_id' | 'candidates'>, fromIdx: number, reasons: string[] = []): Promise<PlannedAttempt | undefined> {
    for (let idx = fromIdx; idx < g.candidates.length; idx++) {
      const c = g.candidates[idx];
      if (this.ports.breakerIsOpen(c.routeId)) {
        reasons.push(`${c.routeId}: circuit breaker open`);
        this.ports.onFallback('breaker_open');
        continue;
      }
      const byok = g.api === 'video' && this.ports.byokCapable.has(c.provider) && (await this.ports.byokProviders(g.org_id)).has(c.provider);
      return { idx, holdCents: byok ? this.ports.byokFee(c.estimatedCostCents) : c.estimatedCostCents, byok };
    }
    return undefined;
  }

  /**
   * Holds money for the first candidate from `fromIdx` the org can afford (spec 004: the create
   * "validates your model, provider, and balance"; a fallback re-holds for its route). A candidate it
   * cannot afford is recorded as a `reservation_failed` attempt and the next one is tried, so a cheaper
   * later model of `models[]` still runs. `begun`: attempt `after` is already recorded on that plan (the
   * create stored it with the generation), so only its hold is placed. Throws when billing cannot be
   * reached: at a create's admission (`abandon`) the attempt is closed and its hold, should it commit
   * late, released (the create answers 503 and its generation is removed); on a fallback (`keepOpen`) the
   * attempt stays open on its route and hold, for the next drive to resume (`resume` re-places the same
   * hold) within the retry window — a billing blip must not use up the generation's routes one per sweep.
   */
  async reserve(
    g: GenerationRow, fromIdx = g.next_candidate, after = g.attempt, reasons: string[] = [], begun?: PlannedAttempt,
    whenBillingUnreachable: 'abandon' | 'keepOpen' = 'abandon',
  ): Promise<Reservation> {
    let attempt = after;
    let refused: { cents: number; message: string; reason: HoldRefusal; details?: unknown } | undefined;
    let idx = fromIdx;
    for (;;) {
      const planned = begun ?? (await this.plan(g, idx, reasons));
      if (!planned) break;
      const c = g.candidates[planned.idx];
      const { holdCents, byok } = planned;
      if (!begun) {
        attempt += 1;
        // Ended meanwhile (cancelled), or our lease was taken over: whoever holds it now goes on.
        if (!(await this.store.beginAttempt(g, attempt, planned.idx + 1, c, `${g.id}:${attempt}`, { owner: this.owner, ms: this.cfg.leaseMs }, { cents: holdCents, byok }))) return { kind: 'ended' };
      }
      begun = undefined;
      const holdId = `${g.id}:${attempt}`;
      let hold: HoldAnswer;
      try {
        hold = await this.ports.placeHold(g, holdId, holdCents);
      } catch (err) {
        if (whenBillingUnreachable === 'abandon' || !isOurSideFailure(err)) await this.store.endAttempt(g, attempt, 'abandoned', null, 'billing unreachable', true).catch(() => undefined);
        throw err;
      }
      if (hold.ok) return { kind: 'reserved', idx: planned.idx, attempt, holdId, holdCents, byok };
      await this.store.endAttempt(g, attempt, 'reservation_failed', null, hold.message, false);
      reasons.push(`${c.routeId}: ${hold.message}`);
      this.ports.onFallback(hold.reason);
      if (!refused || holdCents < refused.cents) refused = { cents: holdCents, message: hold.message, reason: hold.reason, details: hold.details };
      idx = planned.idx + 1;
    }
    return refused ? { kind: 'insufficient', message: refused.message, reason: refused.reason, details: refused.details } : { kind: 'exhausted' };
  }

  /**
   * An attempt left open without a recorded submission (a submit that failed on our side, or a router
   * that died mid-dispatch) is submitted again as the same attempt, on its route, under its hold: the
   * providers service answers a repeated (generation, attempt) with what the first submit got, so a
   * job the provider accepted meanwhile is recorded, not doubled. The hold is placed again first
   * (idempotent on its id: a crash may have come before it). Past the retry window, or when the hold
   * cannot be had, the attempt is abandoned (hold released, upstream job cancelled) as before.
   */
  private async resume(g: GenerationRow): Promise<{ reserved?: Reserved; startedAt?: number }> {
    const open = g.attempt > 0 ? await this.store.openAttempt(g.id, g.attempt) : undefined;
    if (!open) return {};
    const idx = g.next_candidate - 1;
    const startedAt = new Date(open.started_at).getTime();
    const fits = !open.provider_job_id && g.candidates[idx]?.routeId === open.route_id && Date.now() - startedAt < (this.cfg.retryWindowMs ?? 0);
    if (fits) {
      // The same hold as placed when the attempt began: its amount (list price, or the BYOK fee) and kind.
      const holdCents = Number(open.hold_cents);
      const hold = await this.ports.placeHold(g, open.hold_id, holdCents);
      if (hold.ok) return { reserved: { kind: 'reserved', idx, attempt: g.attempt, holdId: open.hold_id, holdCents, byok: !!open.byok }, startedAt };
    }
    if (await this.store.endAttempt(g, g.attempt, 'abandoned', null, 'dispatch interrupted', true)) await this.releaseClosed(g, open.hold_id, 'abandoned');
    void this.ports.cancel(g.id, g.attempt).catch(() => undefined);
    return {};
  }

  /** Gives the lease back until a jittered `retryBackoffMs` from now: the sweeper drives it again then (counted as deferred meanwhile). */
  private async deferRetry(id: string): Promise<void> {
    const backoff = jitter(this.cfg.retryBackoffMs ?? 2000);
    this.deferred.set(id, Date.now() + 3 * backoff);
    await this.store.deferDispatch(id, this.owner, backoff);
  }

  /**
   * Before a fallback holds for its next route, the closed attempt's hold is released now rather than
   * when billing gets to the outbox event: otherwise the org's balance and its key's limit pay for both
   * holds at once, and a fallback the org can afford is refused. Billing unreachable: the event still
   * releases it later; the next hold is tried anyway.
   */
  private async releaseClosed(g: GenerationRow, holdId: string | null, reason: string): Promise<void> {
    if (!holdId || this.releasedHolds.has(holdId)) return;
    try {
      await this.ports.releaseHold(g, holdId, reason);
      // Asked once per hold and replica: a generation re-driven often (our-side retries) does not ask again.
      this.releasedHolds.add(holdId);
      if (this.releasedHolds.size > RELEASED_HOLDS_REMEMBERED) this.releasedHolds.delete(this.releasedHolds.values().next().value!);
    } catch (err) {
      logger.warn({ generationId: g.id, holdId, err: String((err as Error)?.message ?? err) }, 'hold not released before the fallback; its event releases it');
    }
  }

  private async run(g: GenerationRow, reserved?: Reserved): Promise<void> {
    let attemptStartedAt = Date.now();
    if (!reserved) {
      // Not the create's own drive: an attempt may have been closed before this one (a provider failed the
      // running job and CompletionHandler asked for its hold's release; an earlier drive closed one and
      // stopped before its release got through). Each closed attempt's hold is asked for again (once each
      // at billing, by inbox id) before this drive holds anything.
      for (const closed of await this.store.releasedAttemptHolds(g.id)) await this.releaseClosed(g, closed.holdId, closed.outcome);
      const resumed = await this.resume(g);
      reserved = resumed.reserved;
      if (resumed.startedAt) attemptStartedAt = resumed.startedAt;
    }
    const reasons: string[] = [];
    // The code of the last failure: what the customer is told when no route is left.
    let lastCode: GenerationErrorCode = 'provider_unavailable';
    let next: Reservation = reserved ?? (await this.reserve(g, g.next_candidate, g.attempt, reasons, undefined, 'keepOpen'));
    while (next.kind === 'reserved') {
      const { idx, attempt, holdId, holdCents, byok } = next;
      const c = g.candidates[idx];
      let result: SubmitJobResult;
      let breakerRejected = false;
      let ourSide = false;
      const submit = () =>
        this.ports.submit({
          generationId: g.id,
          attempt,
          provider: c.provider as SubmitJobMsg['provider'],
          providerModelId: c.providerModelId,
          params: this.ports.params(g, c),
          api: g.api,
          deadlineSeconds: Math.ceil(this.cfg.callbackTimeoutMs / 1000),
          orgId: g.org_id,
          ...(byok ? { byok: true } : {}),
        });
      try {
        // An attempt on the org's own key bypasses the route's breaker, which every org shares: what it
        // meets says as much about that org's account as about the route, and the breaker knows only
        // failure and success — a refused key would count as a success, and could even close a
        // half-open breaker of a route that is down. Its provider failures still reach route health.
        result = byok ? await submit() : await this.ports.throughBreaker(c.routeId, submit);
      } catch (err) {
        if (isOurSideFailure(err)) {
          if (Date.now() - attemptStartedAt < (this.cfg.retryWindowMs ?? 0)) {
            // Our overload, not the route's: same attempt, hold and route, a little later (see resume).
            this.ports.onOurSideFailure?.(c.routeId, 'retried');
            logger.warn({ generationId: g.id, routeId: c.routeId, err: String((err as Error).message) }, 'submit failed on our side; retrying on the same route');
            await this.deferRetry(g.id);
            return;
          }
          this.ports.onOurSideFailure?.(c.routeId, 'gave_up');
        }
        // Breaker opened meanwhile, or the providers service did not answer: try the next route.
        const unavailable = err instanceof DomainError && err.code === ErrorCode.SERVICE_UNAVAILABLE;
        result = { ok: false, kind: unavailable ? ProviderErrorKind.Timeout : ProviderErrorKind.Down, retryable: true, message: String((err as Error).message ?? err) };
        if ((err as { code?: string }).code === 'EOPENBREAKER') breakerRejected = true;
        ourSide = isOurSideFailure(err);
      }
      if (result.ok) {
        if (byok) this.ports.onByok(c.provider);
        const deadline = result.mode === 'callback' ? this.cfg.callbackTimeoutMs : this.cfg.pollTimeoutMs;
        const marked = await this.store.markSubmitted(g, attempt, c, holdId, result.providerJobId, result.mode, deadline, { cents: holdCents, byok });
        if (!marked) {
          // Cancelled (or finished, or the attempt abandoned by a sweeper whose lease ran out) while we
          // were submitting: stop the job and give the hold back.
          await this.store.endAttempt(g, attempt, 'cancelled', null, 'generation ended during submission', true);
          void this.ports.cancel(g.id, attempt).catch(() => undefined);
        }
        return;
      }
      reasons.push(`${c.routeId}: ${result.kind} (${result.message})`);
      lastCode = publicGenerationErrorCode(result.kind, 'submission');
      if (!result.retryable) {
        // Our own refusal (parameters we cannot map, an unsafe URL): the same input fails everywhere.
        // The customer reads our sentence; the refusal itself (it names provider model ids) stays in
        // the attempt record and the log.
        // One transaction (see rejectAttempt). Closed meanwhile (the customer cancelled): whoever closed it has ended the generation.
        const failed = { status: 'failed' as const, errorMessage: generationFailureMessage(lastCode, 'submission'), errorCode: lastCode, holdId };
        if (await this.store.rejectAttempt(g, attempt, result.kind, result.message, failed))
          logger.warn({ generationId: g.id, routeId: c.routeId, kind: result.kind, detail: result.message }, 'generation refused before submission');
        return;
      }
      // Closed meanwhile (a cancel, whose tombstone is what the providers service answered, or a sweeper
      // that took the generation over): not the route's failure, and not ours to go on with.
      if (!(await this.store.endAttempt(g, attempt, 'failed', result.kind, result.message, true))) return;
      await this.releaseClosed(g, holdId, 'failed');
      // The org's own key refused (BYOK): the org's account, not the route, which stays healthy for everyone else.
      const ownKey = byok && result.ownKey === true;
      if (!breakerRejected && !ourSide && !ownKey) this.ports.onRouteFailure(c.routeId, result.kind);
      // Given up on our side: the providers service may still get a job id for it; it cancels that job
      // upstream as soon as it has it (a job still `submitting` is marked cancelled).
      if (ourSide) void this.ports.cancel(g.id, attempt).catch(() => undefined);
      this.ports.onFallback(ownKey ? 'own_key' : result.kind);
      // The same prompt on the same model elsewhere would be refused again: go to the next model.
      const from = MODEL_SKIPPING_PROVIDER_ERRORS.has(result.kind as ProviderErrorKind) ? skipModel(g.candidates, idx) : idx + 1;
      next = await this.reserve(g, from, attempt, reasons, undefined, 'keepOpen');
      attemptStartedAt = Date.now();
    }
    if (next.kind === 'ended') return;
    if (next.kind === 'insufficient') {
      await this.store.finish(g.id, { status: 'failed', errorMessage: generationFailureMessage('reservation_failed', 'submission', next.message), errorCode: 'reservation_failed', holdId: null });
      return;
    }
    // Route ids and the providers' own words are for operators: the log here, each attempt's record.
    logger.warn({ generationId: g.id, reasons }, 'generation failed: no route succeeded');
    await this.store.finish(g.id, { status: 'failed', errorMessage: generationFailureMessage(lastCode, 'submission'), errorCode: lastCode, holdId: null });
  }
}

/** How many released holds a replica remembers, so a re-drive does not ask billing again (a few hundred KB). */
const RELEASED_HOLDS_REMEMBERED = 10_000;

/** ±25 %: retries of many generations deferred together do not come back together. */
function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

/** Index of the first candidate after `idx` that belongs to another model. */
export function skipModel(candidates: CandidateSnapshot[], idx: number): number {
  let next = idx + 1;
  while (next < candidates.length && candidates[next].modelSlug === candidates[idx].modelSlug) next++;
  return next;
}
