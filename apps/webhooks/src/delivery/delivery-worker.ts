import { logger, withCorrelationId } from '@pipevideo/platform';
import type { SecretBox } from '../domain/secrets';
import type { Signer } from '../domain/signer';
import type { AttemptDecision, RetryPolicy } from '../domain/retry-policy';
import type { WebhookMetrics } from '../webhooks.metrics';
import type { AttemptRecord, ClaimCaps, ClaimedDelivery, DeliveryStore } from './delivery-store';
import type { HttpSender } from './http-sender';

export interface DeliveryWorkerOptions {
  concurrency: number;
  /** Cluster-wide fairness caps of every claim (per endpoint, per org, endpoint rate). */
  caps: ClaimCaps;
  pollIntervalMs: number;
  /** How long a claim holds a delivery: the attempt's timeout plus a margin. */
  leaseMs: number;
  shutdownGraceMs: number;
  /** On close, hand back deliveries whose attempt was cut short (true) or leave them to their lease. */
  releaseOnClose: boolean;
}

interface InFlight {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Sends due deliveries: polls the queue every pollIntervalMs and at once when kicked (new deliveries
 * were committed), keeps at most `concurrency` attempts in flight, claims fairly across orgs within the
 * cluster-wide caps (per endpoint, per org, endpoint rate: one org's backlog or slow endpoint cannot take
 * every slot), and records each outcome through the retry policy. Several instances share the queue safely.
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<string, InFlight>();
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  /** The last claim filled every free slot: more may be due, so claim again as soon as a slot frees. */
  private saturated = false;
  private stopped = true;
  private pumpScheduled = false;

  constructor(
    private readonly store: DeliveryStore,
    private readonly sender: HttpSender,
    private readonly signer: Signer,
    private readonly secrets: SecretBox,
    private readonly policy: RetryPolicy,
    private readonly metrics: WebhookMetrics,
    private readonly o: DeliveryWorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.pump().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollIntervalMs);
      });
    };
    tick();
  }

  /** New deliveries were committed: look now rather than at the next poll. */
  kick(): void {
    void this.pump();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Stops claiming, lets attempts in flight finish for up to shutdownGraceMs, then aborts the rest
   * (released at once, or left to their lease so another instance retakes them).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.pumping) await sleep(5);
    const all = () => Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    if (this.inFlight.size) await Promise.race([all(), sleep(this.o.shutdownGraceMs)]);
    for (const f of this.inFlight.values()) f.abort.abort();
    await all();
  }

  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const free = this.o.concurrency - this.inFlight.size;
        if (free <= 0) {
          this.saturated = true;
          break;
        }
        const batch = await this.store.claim(free, this.o.caps, this.o.leaseMs / 1000);
        for (const c of batch) this.launch(c);
        this.saturated = batch.length === free;
        if (this.saturated) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      if (!this.stopped) logger.warn({ err: String(err) }, 'webhook delivery claim failed; will retry at the next poll');
    } finally {
      this.pumping = false;
    }
  }

  /** Many attempts finish together (their results are written in one batch): one claim refills all their slots. */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private launch(c: ClaimedDelivery): void {
    const abort = new AbortController();
    // The attempt (and every log line it writes) runs under the correlation id of the request that caused
    // the delivery; rows without one get a fresh id per attempt. The bookkeeping below stays outside it, so
    // the claims it triggers do not inherit this delivery's id.
    const attempted = withCorrelationId(c.correlationId ?? undefined, () =>
      this.attempt(c, abort.signal).catch((err) => {
        // Our own failure (database, secret storage), not the endpoint's: the lease brings it back later.
        logger.error({ err: String(err), deliveryId: c.id }, 'webhook delivery attempt could not be processed');
      }),
    );
    const done = attempted.finally(() => {
      this.inFlight.delete(c.id);
      // A slot freed here or a cap freed cluster-wide (this endpoint's, this org's) may let waiting work
      // through: claim again soon (coalesced: one claim for every attempt finishing in this turn).
      if (!this.stopped) this.pumpSoon();
    });
    this.inFlight.set(c.id, { abort, done });
  }

  private async attempt(c: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    if (!c.enabled) {
      if (await this.store.failBecauseDisabled(c)) this.metrics.deliveries.inc({ outcome: 'failed' });
      return;
    }
    let secrets: string[];
    try {
      secrets = [this.secrets.open(c.secret), ...(c.previousSecret ? [this.secrets.open(c.previousSecret)] : [])];
    } catch (err) {
      // Our failure, not the endpoint's (e.g. the encryption key was changed): recorded like a failed
      // attempt so the delivery follows the retry schedule and ends, instead of coming back forever.
      logger.error({ err: String(err), deliveryId: c.id, endpointId: c.endpointId }, 'webhook signing secret cannot be opened');
      this.metrics.signFailures.inc();
      await this.fail(c, { statusCode: null, error: 'Pipevideo could not sign this delivery (signing secret unavailable); it is retried on schedule', latencyMs: 0 }, true);
      return;
    }
    // The timestamp is the attempt's (receivers reject old ones); id and body never change across retries.
    const headers = this.signer.sign(c.messageId, new Date(), c.body, secrets);
    const res = await this.sender.send({ url: c.url, body: c.body, headers: { ...headers }, signal });
    this.metrics.attempt(res.kind, res.latencyMs);
    if (res.kind === 'aborted') {
      if (this.o.releaseOnClose) await this.store.release(c).catch(() => undefined);
      return;
    }
    const record = { statusCode: res.statusCode, error: res.error, latencyMs: res.latencyMs };
    if (res.ok) {
      if (await this.store.markSucceeded(c, record)) this.metrics.deliveries.inc({ outcome: 'succeeded' });
      return;
    }
    await this.fail(c, record);
  }

  /**
   * A failed attempt: the retry policy decides what follows (another attempt, give up, disable the
   * endpoint). `ourFault`: the attempt failed on our side, so the endpoint's health is left alone.
   */
  private async fail(c: ClaimedDelivery, record: AttemptRecord, ourFault = false): Promise<void> {
    const recorded = await this.store.recordFailure(
      c,
      record,
      (health, now) => this.policy.decide({ ok: false, statusCode: record.statusCode }, c.attempts, health, now),
      (d) => this.policy.describe(d.reason),
      { ourFault },
    );
    if (recorded) this.count(recorded.decision, recorded.givenUp, c);
  }

  private count(d: AttemptDecision, givenUp: number, c: ClaimedDelivery): void {
    if (d.delivery !== 'pending') this.metrics.deliveries.inc({ outcome: d.delivery });
    if (givenUp) this.metrics.deliveries.inc({ outcome: 'failed' }, givenUp);
    if (d.endpoint === 'disable') {
      this.metrics.endpointsDisabled.inc({ reason: d.reason });
      logger.warn({ endpointId: c.endpointId, orgId: c.orgId, reason: d.reason }, 'webhook endpoint disabled');
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
