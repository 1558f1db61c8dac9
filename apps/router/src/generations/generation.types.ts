import type { JobProgress, StoredFileRef } from '@pipevideo/contracts';
import type { StoredStatus } from './lifecycle';

/** One route the generation may run on, frozen at create time (prices as quoted then). */
export interface CandidateSnapshot {
  modelSlug: string;
  routeId: string;
  provider: string;
  providerModelId: string;
  resolution: string | null;
  durationSeconds: number | null;
  withAudio: boolean;
  estimatedCostCents: number;
  perSecondCents: number | null;
}

/**
 * The candidate an attempt will run on (the first from some index whose breaker is closed) and the hold
 * it needs: the route's list price, or the platform fee when it runs on the org's own key.
 */
export interface PlannedAttempt {
  /** Index of its candidate. */
  idx: number;
  holdCents: number;
  byok: boolean;
}

export interface GenerationRow {
  id: string;
  org_id: string;
  /** The running (or last) attempt is on the org's own provider key: its hold and charge are the platform fee. */
  byok: boolean;
  api: 'video' | 'responses';
  status: StoredStatus;
  requested_model: string;
  model: string | null;
  provider: string | null;
  route_id: string | null;
  request: Record<string, any>;
  candidates: CandidateSnapshot[];
  next_candidate: number;
  attempt: number;
  hold_id: string | null;
  mode: 'callback' | 'poll' | null;
  needs_dispatch: boolean;
  estimated_cost_cents: number | null;
  cost_cents: number | null;
  output_url: string | null;
  /** Our stored copy of the output (issue 16); null on rows completed before storage existed. */
  output_file?: StoredFileRef | null;
  artifact_file?: StoredFileRef | null;
  /** The provider's last reported progress (see generations/progress.ts). */
  progress?: JobProgress | null;
  artifact_url: string | null;
  artifact_type: string | null;
  error_code: string | null;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  tokens_charged: boolean;
  /** Exact USD cost of the charged tokens (Responses); null before the charge and on rows older than the column. */
  token_cost_usd: number | null;
  /** The tokens charged are the no-usage rule's estimate, not counts the provider reported. */
  usage_estimated: boolean;
  app_title: string | null;
  referer: string | null;
  correlation_id: string | null;
  idempotency_key: string | null;
  /** The API key that made the create, and its spend limit then (bigint: a string from pg). */
  key_id: string | null;
  key_limit_cents: string | number | null;
  key_limit_reset: 'daily' | 'weekly' | 'monthly' | 'none' | null;
  idempotency_fingerprint: string | null;
  created_at: Date;
  updated_at: Date;
  processing_at: Date | null;
  completed_at: Date | null;
  deadline_at: Date | null;
  /** Deleted through `DELETE /v1/videos/{id}`: hidden from the video faces, kept for the ledger. */
  deleted_at?: Date | null;
}

export interface AttemptRow {
  generation_id: string;
  attempt: number;
  model: string;
  route_id: string;
  provider: string;
  hold_id: string;
  hold_cents: number;
  /** Ran on the org's own provider key (hold_cents is the platform fee). */
  byok: boolean;
  provider_job_id: string | null;
  outcome: string | null;
  error_kind: string | null;
  error_message: string | null;
  started_at: Date;
  ended_at: Date | null;
}
