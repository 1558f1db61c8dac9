import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, EVENTS, GenerationFinishedEvt, HoldReleaseRequestedEvt, type KeyLimit, type PageKey, refererOrigin, sanitizeAppTitle, type JobProgress, type StoredFileRef } from '@pipevideo/contracts';
import { addToOutbox, MicroBatcher, rows as sqlRows } from '@pipevideo/platform';

/** The Retry-After hint of an in-flight refusal: a generation takes about this long to finish. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 10;
/** What `create_generation` raises at the org's in-flight cap (its DETAIL: how many are in flight). */
const IN_FLIGHT_CAP_SQLSTATE = 'PV429';
import { sourcesOf, StoredStatus } from './lifecycle';
import type { AttemptRow, CandidateSnapshot, GenerationRow, PlannedAttempt } from './generation.types';
import { responseView, videoGenerationView } from './views';
import { defaultLinker, GenerationLinker } from './output-links';
import type { GenerationNote } from './generation-updates';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export function newGenerationId(): string {
  const bytes = randomBytes(20);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `gen_${s}`;
}

export interface NewGeneration {
  id: string;
  orgId: string;
  api: 'video' | 'responses';
  requestedModel: string;
  request: Record<string, unknown>;
  candidates: CandidateSnapshot[];
  /** Attribution: stored sanitised (title) and cut to its origin (referer), see docs/api-style.md. */
  appTitle?: string | null;
  referer?: string | null;
  correlationId?: string | null;
  /** The API key that made the create and its spend limit (every hold of the generation counts against it). */
  key?: { id: string; limit?: KeyLimit | null } | null;
  /** The customer's Idempotency-Key (a second create with it returns the first generation) and the request's fingerprint. */
  idempotency?: { key: string; fingerprint: string } | null;
  leaseOwner: string;
  leaseMs: number;
  /** The org's cap on generations pending or processing (both APIs); undefined: no cap. */
  maxInFlight?: number;
  /** The attempt planned before the insert (Dispatcher.plan), stored with it as attempt 1. */
  firstAttempt?: PlannedAttempt;
}

export interface FinishFields {
  status: Extract<StoredStatus, 'completed' | 'failed' | 'cancelled' | 'incomplete'>;
  errorMessage?: string | null;
  errorCode?: string | null;
  outputUrl?: string | null;
  artifactUrl?: string | null;
  artifactType?: string | null;
  /** Our stored copies (issue 16): the generation serves these, never the provider's URL. */
  outputFile?: StoredFileRef | null;
  artifactFile?: StoredFileRef | null;
  costCents?: number;
  /** The hold billing must settle (capture when completed, release otherwise); null = nothing held. */
  holdId: string | null;
  /** Responses API: keep a token charge already posted (cancel after orchestration). */
  keepTokenCharge?: boolean;
}

/** A submission the providers service accepted, to record on its attempt and generation. */
interface Submission {
  g: GenerationRow;
  attempt: number;
  c: CandidateSnapshot;
  holdId: string;
  providerJobId: string;
  mode: 'callback' | 'poll';
  deadlineMs: number;
  hold: { cents: number; byok: boolean };
}

/** A Responses job's token charge as posted: tokens, whole cents charged, exact USD, and whether the tokens were estimated. */
export interface RecordedTokens {
  inputTokens: number;
  outputTokens: number;
  costCents: number;
  costUsd: number;
  /** True when the provider reported no usage and the no-usage rule chose the tokens. */
  estimated: boolean;
}

/** All SQL about generations and their attempts. Every status change is a guarded UPDATE. */
export class GenerationStore {
  /**
   * A visible change of a generation written through `m` (GenerationAnnouncer: broadcast once committed).
   * Every write a poll could see goes through this store and calls it: attempts begun and ended, the
   * submission, the end, token usage, deletion.
   */
  announce?: (m: EntityManager | DataSource | undefined, note: GenerationNote) => void;

  /** Called for each generation moved to a final status (the finished counter: metrics that do not scan history). */
  onFinished?: (row: GenerationRow) => void;


  readonly linker: GenerationLinker;

  /** Submissions recorded in batches (markSubmittedMany): one statement per batch, at most two batches on their way. */
  private readonly submissions = new MicroBatcher<Submission, boolean>((items) => this.markSubmittedMany(items), {
    maxBatch: 64,
    maxInFlight: 2,
    // A failed batch is one statement that committed nothing: its submissions are recorded again one by
    // one, so one bad submission does not fail the others.
    whenBatchFails: 'retryEachAlone',
  });

  /** `linker` signs output links in what the store renders (the webhook's resource); default: storage from the environment. */
  constructor(
    private readonly ds: DataSource,
    linker?: GenerationLinker,
  ) {
    this.linker = linker ?? defaultLinker();
  }

  /**
   * Stores a new generation — with its first attempt when one is planned (`firstAttempt`: attempt 1,
   * leased to this replica, its hold not placed yet) — in one round trip and one commit (the
   * `create_generation` SQL function): under the org's in-flight cap when `maxInFlight` is set (a 429
   * at the cap); when one with the same org, API and idempotency key exists (a retry racing its first
   * call), returns that one with `created: false`.
   */
  async insert(g: NewGeneration): Promise<{ row: GenerationRow; created: boolean }> {
    // A conflicting create under the same Idempotency-Key that is discarded between our conflict and our
    // read of it leaves nothing to answer with: the insert goes again (the key is free now).
    return (await this.tryInsert(g)) ?? (await this.tryInsert(g)) ?? Promise.reject(new Error(`generation insert conflicted twice on idempotency key ${g.idempotency?.key}`));
  }

  private async tryInsert(g: NewGeneration): Promise<{ row: GenerationRow; created: boolean } | undefined> {
    const first = g.firstAttempt;
    const c = first ? g.candidates[first.idx] : undefined;
    const attempt = first && c
      ? { next_candidate: first.idx + 1, model: c.modelSlug, route_id: c.routeId, provider: c.provider, hold_id: `${g.id}:1`, hold_cents: first.holdCents, byok: first.byok }
      : null;
    let rows: GenerationRow[];
    try {
      rows = await sqlRows<GenerationRow>(this.ds,
        `SELECT * FROM create_generation($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
        [g.id, g.orgId, g.api, g.requestedModel, JSON.stringify(g.request), JSON.stringify(g.candidates), sanitizeAppTitle(g.appTitle) ?? null, refererOrigin(g.referer) ?? null,
          g.correlationId ?? null, g.candidates[0]?.estimatedCostCents ?? null, g.leaseMs, g.leaseOwner, g.idempotency?.key ?? null,
          g.idempotency?.fingerprint ?? null, g.key?.id ?? null, g.key?.limit?.limitCents ?? null, g.key?.limit?.reset ?? null,
          g.maxInFlight ?? null, attempt ? JSON.stringify(attempt) : null],
        'router.create_generation',
      );
    } catch (err) {
      const e = err as { code?: string; detail?: string };
      if (e.code !== IN_FLIGHT_CAP_SQLSTATE) throw err;
      const n = Number(e.detail);
      throw new DomainError(
        ErrorCode.TOO_MANY_REQUESTS,
        `Too many generations in flight: this organization has ${n} pending or processing, its limit is ${g.maxInFlight}. Retry when one finishes.`,
        { retry_after: IN_FLIGHT_RETRY_AFTER_SECONDS },
      );
    }
    const row = rows[0];
    return row?.id ? { row, created: row.id === g.id } : undefined;
  }

  async byIdempotencyKey(orgId: string, api: 'video' | 'responses', key: string): Promise<GenerationRow | undefined> {
    const [row] = await this.ds.query(`SELECT * FROM generations WHERE org_id = $1 AND api = $2 AND idempotency_key = $3`, [orgId, api, key]);
    return row;
  }

  /** Lets go of a key used more than `ttlSeconds` ago (the gateway forgets keys after the same time). */
  async forgetExpiredIdempotencyKey(orgId: string, api: 'video' | 'responses', key: string, ttlSeconds: number): Promise<void> {
    await this.ds.query(
      `UPDATE generations SET idempotency_key = NULL WHERE org_id = $1 AND api = $2 AND idempotency_key = $3 AND created_at < now() - make_interval(secs => $4)`,
      [orgId, api, key, ttlSeconds],
    );
  }

  async get(orgId: string, id: string): Promise<GenerationRow | undefined> {
    const [row] = await this.ds.query(`SELECT * FROM generations WHERE id = $1 AND org_id = $2`, [id, orgId]);
    return row;
  }

  /**
   * The generation with its attempts in one round trip (the poll endpoint's hot path), reading only the
   * columns `videoGenerationView` shows (its stored file and progress included): never the stored
   * request, whose data URIs can be half a megabyte.
   */
  async getWithAttempts(orgId: string, id: string): Promise<{ g: GenerationRow; attempts: AttemptRow[] } | undefined> {
    const [row] = await sqlRows(this.ds,
      `SELECT g.id, g.api, g.status, g.model, g.requested_model, g.provider, g.route_id, g.candidates, g.output_url, g.cost_cents,
              g.error_message, g.error_code, g.created_at, g.completed_at, g.output_file, g.artifact_file, g.artifact_url, g.artifact_type, g.progress,
              coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'model', a.model, 'provider', a.provider, 'outcome', a.outcome,
                                                          'error_kind', a.error_kind, 'started_at', a.started_at, 'ended_at', a.ended_at) ORDER BY a.attempt)
                          FROM generation_attempts a WHERE a.generation_id = g.id), '[]'::json) AS attempts_json
         FROM generations g WHERE g.id = $1 AND g.org_id = $2 AND g.deleted_at IS NULL`,
      [id, orgId],
      'router.poll',
    );
    if (!row) return undefined;
    const { attempts_json, ...g } = row;
    return { g: g as GenerationRow, attempts: attempts_json as AttemptRow[] };
  }

  async getById(id: string, m: EntityManager | DataSource = this.ds, forUpdate = false): Promise<GenerationRow | undefined> {
    const [row] = await m.query(`SELECT * FROM generations WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return row;
  }


  /** Newest first, after the keyset position `after` (see page-cursor in contracts), each with its attempts (list items are the poll's object). */
  async list(
    orgId: string, api: 'video' | 'responses', limit: number, before?: string, after?: PageKey | null,
  ): Promise<Array<GenerationRow & { created_key: string; attempts_json: AttemptRow[] }>> {
    return this.ds.query(
      `SELECT g.*, to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key,
              coalesce((SELECT json_agg(a ORDER BY a.attempt) FROM generation_attempts a WHERE a.generation_id = g.id), '[]'::json) AS attempts_json
         FROM generations g
        WHERE g.org_id = $1 AND g.api = $2 AND g.deleted_at IS NULL AND ($3::timestamptz IS NULL OR g.created_at < $3)
          AND ($4::timestamptz IS NULL OR (g.created_at, g.id) < ($4::timestamptz, $5::text))
        ORDER BY g.created_at DESC, g.id DESC LIMIT $6`,
      [orgId, api, before ?? null, after?.createdAt ?? null, after?.id ?? '', limit],
    );
  }

  /**
   * Removes a generation that was never admitted (its create refused or failed: never answered with its
   * id, no provider called) — only while `owner` (the replica that created it) still holds its dispatch
   * lease: past it a sweeper may have taken it over, and what runs is no longer ours to delete. The hold
   * of an attempt still open is released in the same transaction (an event to billing): its hold request
   * failed on our side but may still commit at billing, and the release leaves a tombstone there that
   * refuses it. The open attempts are closed by an UPDATE, so a concurrent end of the same attempt (which
   * releases it too) waits for us and then finds it closed: one release each. Answers whether it was removed.
   */
  async discard(id: string, owner: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const [g] = await m.query(
        `SELECT org_id FROM generations WHERE id = $1 AND status = 'pending' AND lease_owner = $2 AND lease_until > now() FOR UPDATE`,
        [id, owner],
      );
      if (!g) return false;
      const open = await sqlRows<{ hold_id: string | null }>(m,
        `UPDATE generation_attempts SET outcome = 'abandoned', error_message = 'create refused', ended_at = now()
          WHERE generation_id = $1 AND outcome IS NULL RETURNING hold_id`,
        [id],
      );
      for (const { hold_id } of open) {
        if (!hold_id) continue;
        const evt: HoldReleaseRequestedEvt = { v: 1, orgId: g.org_id, holdId: hold_id, reason: 'discarded', eventId: `release:${hold_id}` };
        await addToOutbox(m, EVENTS.holdReleaseRequested, evt);
      }
      await m.query(`DELETE FROM generation_attempts WHERE generation_id = $1`, [id]);
      await m.query(`DELETE FROM generations WHERE id = $1`, [id]);
      return true;
    });
  }

  /** Takes the dispatch lease when the generation needs dispatching and nobody holds a live lease (or we do). */
  async claimForDispatch(id: string, owner: string, leaseMs: number): Promise<GenerationRow | undefined> {
    const rows = await sqlRows(this.ds,
      `UPDATE generations SET lease_until = now() + make_interval(secs => $3::float / 1000), lease_owner = $2, updated_at = now()
        WHERE id = $1 AND needs_dispatch AND status IN ('pending', 'processing')
          AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2)
        RETURNING *`,
      [id, owner, leaseMs],
    );
    return rows[0];
  }

  /**
   * Gives the lease back but lets nobody (the sweeper included) dispatch again for `ms`: a submit that
   * failed on our side is retried later on the same attempt, hold and route.
   */
  async deferDispatch(id: string, owner: string, ms: number): Promise<void> {
    await this.ds.query(
      `UPDATE generations SET lease_until = now() + make_interval(secs => $3::float / 1000), lease_owner = NULL WHERE id = $1 AND lease_owner = $2`,
      [id, owner, ms],
    );
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.ds.query(`UPDATE generations SET lease_until = NULL, lease_owner = NULL WHERE id = $1 AND lease_owner = $2`, [id, owner]);
  }

  /** The holds of attempts closed with their release requested (failed, abandoned): a fallback has them released before it holds again. */
  async releasedAttemptHolds(id: string): Promise<Array<{ holdId: string; outcome: string }>> {
    const rows: Array<{ hold_id: string; outcome: string }> = await this.ds.query(
      `SELECT hold_id, outcome FROM generation_attempts WHERE generation_id = $1 AND outcome IN ('failed', 'abandoned') AND hold_id IS NOT NULL ORDER BY attempt`,
      [id],
    );
    return rows.map((r) => ({ holdId: r.hold_id, outcome: r.outcome }));
  }

  async openAttempt(id: string, attempt: number): Promise<AttemptRow | undefined> {
    const [row] = await this.ds.query(`SELECT * FROM generation_attempts WHERE generation_id = $1 AND attempt = $2 AND outcome IS NULL`, [id, attempt]);
    return row;
  }

  /**
   * Records a new attempt and renews the dispatch lease for it (a chain of slow submits must not outlive
   * the lease); false when the generation ended meanwhile (e.g. a Responses cancel while the dispatcher
   * was on its way) or another replica took the lease over: then no hold may be placed here.
   */
  async beginAttempt(
    g: GenerationRow,
    attempt: number,
    nextCandidate: number,
    c: CandidateSnapshot,
    holdId: string,
    lease: { owner: string; ms: number },
    hold: { cents: number; byok: boolean } = { cents: c.estimatedCostCents, byok: false },
  ): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const moved = await sqlRows(m,
        `UPDATE generations SET attempt = $2, next_candidate = $3, updated_at = now(), lease_until = now() + make_interval(secs => $5::float / 1000)
          WHERE id = $1 AND status IN ('pending', 'processing') AND lease_owner = $4 RETURNING id`,
        [g.id, attempt, nextCandidate, lease.owner, lease.ms],
      );
      if (!moved.length) return false;
      await m.query(
        `INSERT INTO generation_attempts (generation_id, attempt, model, route_id, provider, hold_id, hold_cents, byok) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [g.id, attempt, c.modelSlug, c.routeId, c.provider, holdId, hold.cents, hold.byok],
      );
      this.announce?.(m, { id: g.id, orgId: g.org_id, api: g.api, status: g.status, attempt, deleted: false });
      return true;
    });
  }

  /** Closes an attempt that did not lead to a running job and asks billing to release its hold; false when it was closed already (by a cancel, a sweeper). */
  async endAttempt(g: GenerationRow, attempt: number, outcome: string, errorKind: string | null, message: string | null, releaseHold: boolean, m?: EntityManager): Promise<boolean> {
    const run = async (tx: EntityManager) => {
      const [a] = (await sqlRows<{ hold_id: string }>(tx,
          `UPDATE generation_attempts SET outcome = $3, error_kind = $4, error_message = $5, ended_at = now()
            WHERE generation_id = $1 AND attempt = $2 AND outcome IS NULL RETURNING hold_id`,
          [g.id, attempt, outcome, errorKind, message?.slice(0, 1000) ?? null],
        ));
      if (a) this.announce?.(tx, { id: g.id, orgId: g.org_id, api: g.api, status: g.status, attempt, deleted: false });
      if (a && releaseHold) {
        const evt: Omit<HoldReleaseRequestedEvt, 'eventId'> = { v: 1, orgId: g.org_id, holdId: a.hold_id, reason: outcome };
        await addToOutbox(tx, EVENTS.holdReleaseRequested, { ...evt, eventId: `release:${a.hold_id}` });
      }
      return !!a;
    };
    return m ? run(m) : this.ds.transaction(run);
  }

  /**
   * Our own refusal of an attempt (the same input fails on every route): the attempt closed `rejected` and
   * the generation failed, in one transaction. The finish names the attempt's hold (billing releases it);
   * closed in a transaction of its own, a finish that then failed left the attempt closed with nothing to
   * release its hold, and a sweeper went on to the next route. @returns false when the attempt was closed
   * already (a cancel: whoever closed it ended the generation).
   */
  async rejectAttempt(g: GenerationRow, attempt: number, errorKind: string, message: string, finish: FinishFields): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      // The generation's row first: the lock order of cancels and completions.
      await this.getById(g.id, m, true);
      if (!(await this.endAttempt(g, attempt, 'rejected', errorKind, message, false, m))) return false;
      // Not failable (no path leads here: whatever ends a generation closes its open attempt first): undo
      // the close too, rather than leave a closed attempt whose hold nothing releases.
      if (!(await this.finish(g.id, finish, m))) throw new Error(`generation ${g.id} could not be failed after its attempt was refused`);
      return true;
    });
  }

  async markSubmitted(
    g: GenerationRow,
    attempt: number,
    c: CandidateSnapshot,
    holdId: string,
    providerJobId: string,
    mode: 'callback' | 'poll',
    deadlineMs: number,
    hold: { cents: number; byok: boolean } = { cents: c.estimatedCostCents, byok: false },
  ): Promise<boolean> {
    return this.submissions.submit({ g, attempt, c, holdId, providerJobId, mode, deadlineMs, hold });
  }

  /**
   * Records a batch of submissions in one statement and one commit (the MicroBatcher gathers those that
   * arrive while the previous batch is on its way): each attempt gets its provider job id (also when it
   * ended meanwhile: the record says which upstream job it had), and its generation moves to
   * `processing` only while that attempt is its current one and still open. The generations are locked
   * first, in id order, as a cancel or a completion locks the generation before its attempts (no
   * deadlock with them, nor between batches). Rows are found by `= ANY(ids)`, an index lookup: joined
   * to the JSON input alone (estimated at 100 rows) the planner chose a sequential scan of
   * generation_attempts, a cost growing with history (found by `pg_stat_user_tables` under the bench).
   */
  private async markSubmittedMany(items: Submission[]): Promise<boolean[]> {
    const input = items.map((s) => ({
      id: s.g.id, attempt: s.attempt, model: s.c.modelSlug, provider: s.c.provider, route_id: s.c.routeId, hold_id: s.holdId, mode: s.mode,
      cents: s.hold.cents, byok: s.hold.byok, deadline_ms: s.deadlineMs, job_id: s.providerJobId,
    }));
    const marked = await sqlRows<{ id: string; attempt: number }>(this.ds,
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, attempt int, model text, provider text, route_id text, hold_id text, mode text,
                                                          cents int, byok boolean, deadline_ms float8, job_id text)),
       locked AS (SELECT g.id FROM generations g WHERE g.id = ANY($2::text[]) ORDER BY g.id FOR UPDATE),
       a AS (UPDATE generation_attempts ga SET provider_job_id = i.job_id FROM input i
              WHERE ga.generation_id = ANY($2::text[]) AND ga.generation_id = i.id AND ga.attempt = i.attempt AND ga.generation_id IN (SELECT id FROM locked)
              RETURNING ga.generation_id, ga.attempt, ga.outcome)
       UPDATE generations g SET status = 'processing', needs_dispatch = false, model = i.model, provider = i.provider, route_id = i.route_id,
              hold_id = i.hold_id, mode = i.mode, estimated_cost_cents = i.cents, byok = i.byok, processing_at = coalesce(g.processing_at, now()),
              deadline_at = now() + make_interval(secs => i.deadline_ms / 1000), updated_at = now(), lease_until = NULL, lease_owner = NULL
         FROM input i
        WHERE g.id = ANY($2::text[]) AND g.id = i.id AND g.status IN ('pending', 'processing') AND g.attempt = i.attempt
          AND EXISTS (SELECT 1 FROM a WHERE a.generation_id = i.id AND a.attempt = i.attempt AND a.outcome IS NULL)
        RETURNING g.id, i.attempt`,
      [JSON.stringify(input), items.map((s) => s.g.id)],
      'router.mark_submitted',
    );
    const done = new Set(marked.map((r) => `${r.id}:${r.attempt}`));
    return items.map((s) => {
      const ok = done.has(`${s.g.id}:${s.attempt}`);
      if (ok) this.announce?.(this.ds, { id: s.g.id, orgId: s.g.org_id, api: s.g.api, status: 'processing', attempt: s.attempt, deleted: false });
      return ok;
    });
  }

  /** Guarded move to a final status + generation.finished in the outbox, in one transaction. */
  async finish(id: string, f: FinishFields, m?: EntityManager): Promise<GenerationRow | undefined> {
    const run = async (tx: EntityManager) => {
      const rows = await sqlRows(tx,
        `UPDATE generations SET status = $2, error_message = $3, error_code = $4, output_url = coalesce($5, output_url),
                artifact_url = coalesce($6, artifact_url), artifact_type = coalesce($7, artifact_type),
                cost_cents = $8, needs_dispatch = false, completed_at = now(), updated_at = now(), lease_until = NULL, lease_owner = NULL,
                output_file = coalesce($10::jsonb, output_file), artifact_file = coalesce($11::jsonb, artifact_file),
                progress = CASE WHEN $2 = 'completed' THEN jsonb_build_object('percent', 100, 'phase', 'completed') ELSE progress END
          WHERE id = $1 AND status = ANY($9::text[]) RETURNING *`,
        [id, f.status, f.errorMessage ?? null, f.errorCode ?? null, f.outputUrl ?? null, f.artifactUrl ?? null, f.artifactType ?? null,
          f.costCents ?? 0, sourcesOf(f.status), f.outputFile ? JSON.stringify(f.outputFile) : null, f.artifactFile ? JSON.stringify(f.artifactFile) : null],
      );
      const row: GenerationRow | undefined = rows[0];
      if (!row) return undefined;
      // The customer's webhook carries exactly what GET returns now that it is final (same view function).
      const attempts: AttemptRow[] = row.api === 'video' ? await tx.query(`SELECT * FROM generation_attempts WHERE generation_id = $1 ORDER BY attempt`, [id]) : [];
      // Its links are signed now and expire as they say; a consumer that comes late asks `…/content` for a fresh one.
      const links = await this.linker.of(row);
      const resource = row.api === 'video' ? videoGenerationView(row, attempts, links) : responseView(row, links);
      const evt: GenerationFinishedEvt = {
        v: 1,
        eventId: `finished:${id}`,
        api: row.api,
        generationId: id,
        orgId: row.org_id,
        status: row.status,
        succeeded: row.status === 'completed',
        model: row.model ?? row.requested_model,
        provider: row.provider,
        holdId: f.holdId,
        costCents: row.status === 'completed' || f.keepTokenCharge ? row.cost_cents ?? 0 : 0,
        outputUrl: links.output?.url ?? null,
        errorMessage: row.error_message,
        appTitle: row.app_title,
        finishedAt: new Date().toISOString(),
        correlationId: row.correlation_id ?? undefined,
        keepTokenCharge: !!f.keepTokenCharge,
        createdAt: new Date(row.created_at).toISOString(),
        byok: !!row.byok,
        resource,
      };
      await addToOutbox(tx, EVENTS.generationFinished, evt);
      this.onFinished?.(row);
      this.announce?.(tx, { id: row.id, orgId: row.org_id, api: row.api, status: row.status, attempt: row.attempt, deleted: !!row.deleted_at });
      return row;
    };
    return m ? run(m) : this.ds.transaction(run);
  }

  /** A running attempt's progress as its provider reported it (only while that attempt is the current one and runs). */
  async recordProgress(id: string, attempt: number, progress: JobProgress, m: EntityManager): Promise<void> {
    const [row] = await sqlRows<Pick<GenerationRow, 'id' | 'org_id' | 'api' | 'status' | 'attempt'>>(m,
      `UPDATE generations SET progress = $3::jsonb, updated_at = now() WHERE id = $1 AND attempt = $2 AND status IN ('pending', 'processing')
        RETURNING id, org_id, api, status, attempt`,
      [id, attempt, JSON.stringify(progress)],
    );
    if (row) this.announce?.(m, { id: row.id, orgId: row.org_id, api: row.api, status: row.status, attempt: row.attempt, deleted: false });
  }

  async setNeedsDispatch(id: string, m: EntityManager): Promise<void> {
    await m.query(`UPDATE generations SET needs_dispatch = true, lease_until = NULL, lease_owner = NULL, updated_at = now() WHERE id = $1`, [id]);
  }

  async recordTokens(id: string, t: RecordedTokens, m: EntityManager): Promise<void> {
    const [g] = await sqlRows<Pick<GenerationRow, 'org_id' | 'api' | 'status' | 'attempt'>>(m,
      `UPDATE generations SET input_tokens = $2, output_tokens = $3, cost_cents = $4, token_cost_usd = $5, usage_estimated = $6, tokens_charged = true, updated_at = now()
        WHERE id = $1 RETURNING org_id, api, status, attempt`,
      [id, t.inputTokens, t.outputTokens, t.costCents, t.costUsd, t.estimated],
    );
    if (g) this.announce?.(m, { id, orgId: g.org_id, api: g.api, status: g.status, attempt: g.attempt, deleted: false });
  }

  /** Hides a video (DELETE /v1/videos/{id}): every face answers 404 from now on. */
  async markDeleted(g: GenerationRow, m: EntityManager): Promise<void> {
    await m.query(`UPDATE generations SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`, [g.id]);
    this.announce?.(m, { id: g.id, orgId: g.org_id, api: g.api, status: g.status, attempt: g.attempt, deleted: true });
  }

  /** Ids whose dispatch is due: never started, or a replica died holding the lease. */
  async dueForDispatch(limit: number, graceMs: number): Promise<string[]> {
    const rows = await sqlRows(this.ds,
      `SELECT id FROM generations WHERE needs_dispatch AND status IN ('pending', 'processing')
          AND (lease_until IS NULL OR lease_until < now()) AND updated_at < now() - make_interval(secs => $2::float / 1000)
        ORDER BY updated_at LIMIT $1`,
      [limit, graceMs],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  /** Claims processing generations past their deadline (SKIP LOCKED: replicas split the work). */
  async claimExpired(limit: number, fn: (row: GenerationRow, m: EntityManager) => Promise<void>): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows: GenerationRow[] = await m.query(
        `SELECT * FROM generations WHERE status = 'processing' AND NOT needs_dispatch AND deadline_at < now()
          ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      // Each end moves its org's in-flight counter (a row lock, count_in_flight); ended in org order, two
      // replicas' batches take those locks in the same order and cannot deadlock on them.
      rows.sort((a, b) => (a.org_id < b.org_id ? -1 : a.org_id > b.org_id ? 1 : 0));
      for (const r of rows) await fn(r, m);
      return rows.length;
    });
  }

  /** The route and start of an attempt (route health measures from the start). */
  async attemptRoute(id: string, attempt: number, m: EntityManager): Promise<{ route_id: string; started_at: Date | string } | undefined> {
    const [a] = await m.query(`SELECT route_id, started_at FROM generation_attempts WHERE generation_id = $1 AND attempt = $2`, [id, attempt]);
    return a;
  }

  /** Records the provider's final answer on an attempt (`succeeded`, or `failed` with the provider's error). */
  async recordAttemptOutcome(id: string, attempt: number, outcome: 'succeeded' | 'failed', m: EntityManager, error?: { kind: string; message: string }): Promise<void> {
    if (outcome === 'succeeded') {
      await m.query(`UPDATE generation_attempts SET outcome = 'succeeded', ended_at = now() WHERE generation_id = $1 AND attempt = $2`, [id, attempt]);
      return;
    }
    await m.query(`UPDATE generation_attempts SET outcome = 'failed', error_kind = $3, error_message = $4, ended_at = now() WHERE generation_id = $1 AND attempt = $2`, [
      id, attempt, error?.kind ?? null, error?.message.slice(0, 1000) ?? null,
    ]);
  }

  /** Closes an attempt still open past its deadline as `timed_out` (the sweeper). */
  async timeOutAttempt(id: string, attempt: number, code: string, m: EntityManager): Promise<void> {
    await m.query(`UPDATE generation_attempts SET outcome = 'timed_out', error_kind = $3, ended_at = now() WHERE generation_id = $1 AND attempt = $2 AND outcome IS NULL`, [id, attempt, code]);
  }

  /** Closes whatever attempt of a generation is open as `cancelled` (the customer cancelled). */
  async cancelOpenAttempts(id: string, m: EntityManager): Promise<void> {
    await m.query(`UPDATE generation_attempts SET outcome = 'cancelled', ended_at = now() WHERE generation_id = $1 AND outcome IS NULL`, [id]);
  }

  /** Where dispatch continues in the candidate list (a fallback skipping the rest of a model's routes). */
  async setNextCandidate(id: string, next: number, m: EntityManager): Promise<void> {
    await m.query(`UPDATE generations SET next_candidate = $2 WHERE id = $1`, [id, next]);
  }


  /** Generations in flight by API, status, provider and model, with those overdue (the in-flight partial index; never scans history). */
  async inFlightCounts(): Promise<Array<{ api: string; status: string; provider: string; model: string; n: number; overdue: number }>> {
    return sqlRows(this.ds,
      `SELECT api, status, coalesce(provider, 'none') AS provider, coalesce(model, requested_model) AS model, count(*)::int AS n,
              count(*) FILTER (WHERE status = 'processing' AND deadline_at < now() - interval '30 seconds')::int AS overdue
         FROM generations WHERE status IN ('pending', 'processing') GROUP BY 1, 2, 3, 4`,
    );
  }
}

export const newLeaseOwner = () => randomUUID();
