import { logger, rows } from '@pipevideo/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { CustomerEvent } from '../domain/event-payloads';
import { sqlNewId } from '../domain/ids';
import { takeTurnWithClaims } from './claims-lock';
import { GroupCommit } from './group-commit';
import type { AttemptDecision, EndpointHealth } from '../domain/retry-policy';
import type { DeliveryRow } from '../domain/views';

/** A delivery a worker holds: everything one attempt needs, read in the claiming statement. */
export interface ClaimedDelivery {
  id: string;
  leaseToken: string;
  /** Including the attempt about to be made. */
  attempts: number;
  orgId: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  body: string;
  url: string;
  enabled: boolean;
  secret: string;
  /** The pre-rotation secret, while its overlap window is open. */
  previousSecret: string | null;
  /** The request that caused this delivery (its attempts log under it); internal, never sent. */
  correlationId: string | null;
}

/** One event for `enqueueMany`. */
export interface EnqueueItem {
  event: CustomerEvent;
  messageId: string;
  sourceEventId: string;
  /** The id of the request that caused the event; stored on its deliveries for their logs. */
  correlationId?: string | null;
}

export interface AttemptRecord {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

/** The fairness caps of a claim (cluster-wide; see DeliveryStore.claim). */
export interface ClaimCaps {
  perEndpoint: number;
  perOrg: number;
  /** Deliveries per second per endpoint; 0: no rate cap. */
  ratePerSecond: number;
  /** Deliveries an idle endpoint may get at once (token bucket size). */
  burst: number;
}

export interface QueueStats {
  pending: number;
  oldestDueAgeSeconds: number;
}

/**
 * The delivery queue in PostgreSQL. Workers claim due rows with FOR UPDATE SKIP LOCKED (replicas never
 * take the same row) and a lease: claiming moves next_attempt_at to the lease's end and sets a fresh
 * lease_token, so a worker that dies leaves rows that become due again when the lease runs out. A
 * result is recorded only while the token still matches (a retaken delivery ignores the old holder).
 */
export class DeliveryStore {
  constructor(private readonly ds: DataSource) {}

  /**
   * Creates the event's message and one delivery per enabled endpoint of its org subscribed to its
   * type (or just `onlyEndpointId`, for test events), inside the caller's transaction.
   * @returns the deliveries created.
   */
  async enqueue(
    m: EntityManager,
    event: CustomerEvent,
    messageId: string,
    sourceEventId: string | null,
    onlyEndpointId?: string,
    correlationId?: string,
  ): Promise<DeliveryRow[]> {
    return rows(
      m,
      `WITH eps AS (
         SELECT id FROM endpoints
          WHERE org_id = $1 AND enabled AND ($6::text IS NOT NULL AND id = $6 OR $6::text IS NULL AND $2 = ANY(events))
       ), msg AS (
         INSERT INTO messages (id, org_id, event_type, source_event_id, body, created_at)
         SELECT $3, $1, $2, $4, $5, now() WHERE EXISTS (SELECT 1 FROM eps)
         RETURNING id
       )
       INSERT INTO deliveries (id, org_id, endpoint_id, message_id, event_type, status, next_attempt_at, correlation_id)
       SELECT ${sqlNewId('dlv')}, $1, eps.id, msg.id, $2, 'pending', now(), $7 FROM eps CROSS JOIN msg
       RETURNING *`,
      [event.orgId, event.type, messageId, sourceEventId, event.body, onlyEndpointId ?? null, correlationId ?? null],
    );
  }

  /**
   * `enqueue` for many events in one statement (the event consumer's batches): each gets its message
   * and one delivery per enabled endpoint of its org subscribed to its type; its deliveries keep the
   * event's `correlationId` (when it has one).
   * @returns deliveries created per message id.
   */
  async enqueueMany(m: EntityManager, events: EnqueueItem[]): Promise<Map<string, number>> {
    if (!events.length) return new Map();
    const created = await rows<{ message_id: string }>(
      m,
      `WITH ev AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                    AS ev(org_id, event_type, message_id, source_event_id, body, correlation_id)
       ), eps AS (
         SELECT ev.message_id, e.id AS endpoint_id FROM ev JOIN endpoints e ON e.org_id = ev.org_id AND e.enabled AND ev.event_type = ANY(e.events)
       ), msg AS (
         INSERT INTO messages (id, org_id, event_type, source_event_id, body, created_at)
         SELECT ev.message_id, ev.org_id, ev.event_type, ev.source_event_id, ev.body, now() FROM ev
          WHERE EXISTS (SELECT 1 FROM eps WHERE eps.message_id = ev.message_id)
         RETURNING id, org_id, event_type
       )
       INSERT INTO deliveries (id, org_id, endpoint_id, message_id, event_type, status, next_attempt_at, correlation_id)
       SELECT ${sqlNewId('dlv')}, msg.org_id, eps.endpoint_id, msg.id, msg.event_type, 'pending', now(), ev.correlation_id
         FROM msg JOIN eps ON eps.message_id = msg.id JOIN ev ON ev.message_id = msg.id
       RETURNING message_id`,
      [
        events.map((e) => e.event.orgId),
        events.map((e) => e.event.type),
        events.map((e) => e.messageId),
        events.map((e) => e.sourceEventId),
        events.map((e) => e.event.body),
        events.map((e) => e.correlationId ?? null),
      ],
    );
    const counts = new Map<string, number>();
    for (const r of created) counts.set(r.message_id, (counts.get(r.message_id) ?? 0) + 1);
    return counts;
  }

  /**
   * Claims up to `limit` due deliveries for `leaseSeconds`, fairly: every endpoint with due deliveries
   * offers its oldest ones, at most `caps.perEndpoint` in flight and `caps.ratePerSecond` (token bucket of
   * `caps.burst`) per endpoint, at most `caps.perOrg` in flight per org, and the org with the fewest in
   * flight is served first. In flight = claimed by any replica with a running lease: claims are serialised
   * across replicas (advisory lock), so every cap is exact. The SQL is claim_deliveries_fair (migration).
   */
  async claim(limit: number, caps: ClaimCaps, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const claimed: any[] = await rows(this.ds, `SELECT * FROM claim_deliveries_fair($1, $2, $3, $4, $5, $6)`, [
      limit,
      caps.perEndpoint,
      caps.perOrg,
      caps.ratePerSecond,
      Math.max(1, caps.burst),
      leaseSeconds,
    ]);
    return claimed.map((r) => ({
      id: r.id,
      leaseToken: r.lease_token,
      attempts: r.attempts,
      orgId: r.org_id,
      endpointId: r.endpoint_id,
      messageId: r.message_id,
      eventType: r.event_type,
      body: r.body,
      url: r.url,
      enabled: r.enabled,
      secret: r.secret,
      previousSecret: r.previous_secret,
      correlationId: r.correlation_id ?? null,
    }));
  }

  /** 2xx: done; the endpoint's failure streak ends. Batched (see GroupCommit). @returns false when the lease was lost. */
  markSucceeded(c: ClaimedDelivery, a: AttemptRecord): Promise<boolean> {
    return this.successes.submit({ id: c.id, token: c.leaseToken, statusCode: a.statusCode, latencyMs: a.latencyMs });
  }

  private readonly successes = new GroupCommit<{ id: string; token: string; statusCode: number | null; latencyMs: number }, boolean>(async (items) => {
    const done = await this.ds.transaction(async (m) => {
      // Deliveries before endpoints, in id order (see claims-lock.ts).
      await takeTurnWithClaims(m, 'shared');
      await m.query(`SELECT id FROM deliveries WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [items.map((i) => i.id)]);
      return rows<{ id: string }>(
        m,
        `WITH v AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS v(id, token, status_code, latency_ms)
         ), d AS (
           UPDATE deliveries SET status = 'succeeded', lease_token = NULL, next_attempt_at = NULL, last_status_code = v.status_code,
                  last_error = NULL, latency_ms = v.latency_ms, completed_at = now(), updated_at = now()
             FROM v WHERE deliveries.id = v.id AND deliveries.lease_token = v.token AND deliveries.status = 'pending'
           RETURNING deliveries.id, deliveries.endpoint_id
         ), e AS (
           UPDATE endpoints SET failing_since = NULL, consecutive_exhausted = 0
            WHERE id IN (SELECT endpoint_id FROM d) AND (failing_since IS NOT NULL OR consecutive_exhausted > 0)
           RETURNING 1
         )
         SELECT id FROM d`,
        [items.map((i) => i.id), items.map((i) => i.token), items.map((i) => i.statusCode), items.map((i) => i.latencyMs)],
      );
    });
    const ok = new Set(done.map((r) => r.id));
    return items.map((i) => ok.has(i.id));
  });

  /**
   * A failed attempt: under a lock on the endpoint (its failure streak decides), `decide` says what
   * happens to the delivery and the endpoint. @returns the decision applied (and how many waiting
   * deliveries were given up if the endpoint got disabled), or null when the lease was lost.
   */
  async recordFailure(
    c: ClaimedDelivery,
    a: AttemptRecord,
    decide: (health: EndpointHealth, now: Date) => AttemptDecision,
    describe: (d: Extract<AttemptDecision, { endpoint: 'disable' }>) => string,
    opts: { ourFault?: boolean } = {},
  ): Promise<{ decision: AttemptDecision; givenUp: number } | null> {
    const decision = await this.ds.transaction(async (m): Promise<AttemptDecision | null> => {
      // The delivery, then its endpoint (see claims-lock.ts); a lease lost meanwhile ends it here.
      await takeTurnWithClaims(m, 'shared');
      const [mine] = await rows(m, `SELECT id FROM deliveries WHERE id = $1 AND lease_token = $2 AND status = 'pending' FOR UPDATE`, [c.id, c.leaseToken]);
      if (!mine) return null;
      const [ep] = await rows(
        m,
        `SELECT failing_since, consecutive_exhausted, enabled, now() AS now FROM endpoints WHERE id = $1 FOR UPDATE`,
        [c.endpointId],
      );
      if (!ep) return null; // deleted meanwhile (its deliveries went with it)
      // Our own failure says nothing about the endpoint: the delivery follows its schedule, the
      // endpoint's failure streak (which can disable it) is neither read nor extended.
      const health = opts.ourFault ? { failingSince: null, consecutiveExhausted: 0 } : { failingSince: ep.failing_since, consecutiveExhausted: ep.consecutive_exhausted };
      const decision = decide(health, ep.now);
      const retryInSeconds = decision.delivery === 'pending' ? decision.retryInMs / 1000 : null;
      const updated = await rows(
        m,
        `UPDATE deliveries SET status = $3, lease_token = NULL, last_status_code = $4, last_error = $5, latency_ms = $6, updated_at = now(),
                next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + make_interval(secs => $7) END,
                completed_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
          WHERE id = $1 AND lease_token = $2 AND status = 'pending'
         RETURNING id`,
        [c.id, c.leaseToken, decision.delivery, a.statusCode, a.error, a.latencyMs, retryInSeconds],
      );
      if (!updated.length) return null;
      const exhausted = decision.delivery === 'exhausted' ? 1 : 0;
      if (opts.ourFault) {
        // endpoint health untouched
      } else if (decision.endpoint === 'disable') {
        await this.disableEndpoint(m, c.endpointId, describe(decision));
      } else {
        await rows(
          m,
          `UPDATE endpoints SET failing_since = coalesce(failing_since, now()), consecutive_exhausted = consecutive_exhausted + $2 WHERE id = $1`,
          [c.endpointId, exhausted],
        );
      }
      return decision;
    });
    if (!decision) return null;
    const givenUp = !opts.ourFault && decision.endpoint === 'disable' ? await this.giveUpWaiting(c.endpointId) : 0;
    return { decision, givenUp };
  }

  /**
   * Disables an endpoint, in the caller's transaction (which holds the endpoint's row). Its waiting
   * deliveries are given up afterwards, by `giveUpWaiting`, in a transaction of their own.
   */
  async disableEndpoint(m: EntityManager, endpointId: string, reason: string): Promise<void> {
    await rows(
      m,
      `UPDATE endpoints SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1`,
      [endpointId, reason],
    );
  }

  /**
   * Gives up the waiting deliveries of an endpoint just disabled (those a worker holds finish their
   * attempt). Not in the disabling transaction: that one holds the endpoint's row, and a claim locks
   * endpoint rows (their rate tokens) and delivery rows in one statement, so updating deliveries while
   * holding the endpoint deadlocked with it (seen with many endpoints of one org disabled at once).
   * Here the claims' own lock comes first, so this and a claim take turns. A delivery a claim leased
   * meanwhile, or one this misses (a failure here), is given up when claimed: the worker finds the
   * endpoint disabled (`failBecauseDisabled`). Nothing is given up if the endpoint was enabled again
   * meanwhile. @returns how many were given up.
   */
  async giveUpWaiting(endpointId: string): Promise<number> {
    try {
      return await this.ds.transaction(async (m) => {
        await takeTurnWithClaims(m, 'exclusive');
        const failed = await rows(
          m,
          `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, completed_at = now(), updated_at = now(),
                  last_error = coalesce(last_error || '; ', '') || 'not sent: the endpoint was disabled'
            WHERE endpoint_id = $1 AND status = 'pending' AND lease_token IS NULL
              AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = $1 AND NOT e.enabled)
           RETURNING id`,
          [endpointId],
        );
        return failed.length;
      });
    } catch (err) {
      logger.warn({ err: String(err), endpointId }, 'waiting deliveries of a disabled endpoint not given up now; each is when claimed');
      return 0;
    }
  }

  /** The endpoint was disabled after this delivery was queued: give it up without an attempt. */
  async failBecauseDisabled(c: ClaimedDelivery): Promise<boolean> {
    const changed = await rows(
      this.ds,
      `UPDATE deliveries SET status = 'failed', lease_token = NULL, next_attempt_at = NULL, attempts = attempts - 1, completed_at = now(),
              updated_at = now(), last_error = coalesce(last_error || '; ', '') || 'not sent: the endpoint was disabled'
        WHERE id = $1 AND lease_token = $2 AND status = 'pending' RETURNING id`,
      [c.id, c.leaseToken],
    );
    return changed.length > 0;
  }

  /** Hands a claimed delivery back at once (graceful shutdown) instead of leaving it to its lease. */
  async release(c: ClaimedDelivery): Promise<void> {
    await rows(
      this.ds,
      `UPDATE deliveries SET lease_token = NULL, next_attempt_at = now(), attempts = attempts - 1, updated_at = now()
        WHERE id = $1 AND lease_token = $2 AND status = 'pending'`,
      [c.id, c.leaseToken],
    );
  }

  /**
   * Backlog gauges: pending deliveries (due, scheduled for a retry or in flight), and how long the
   * oldest due one has waited for a worker (in-flight rows are not due: their next_attempt_at is the lease's end).
   */
  async stats(): Promise<QueueStats> {
    const [r] = await rows(
      this.ds,
      `SELECT count(*)::int AS pending,
              coalesce(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0)::float AS age
         FROM deliveries WHERE status = 'pending'`,
    );
    return { pending: r.pending, oldestDueAgeSeconds: r.age };
  }
}
