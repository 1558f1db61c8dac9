import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Provider metrics. Labels are bounded: provider slug, operation, outcome/result enums — never ids or URLs. */
export class ProviderMetrics {
  /** outcome: ok, or the ProviderErrorKind of the failure. */
  readonly calls: Counter<'provider' | 'operation' | 'outcome'>;
  readonly callDuration: Histogram<'provider' | 'operation'>;
  /** result: verified, bad_signature, expired, keys_unavailable, wrong_account, duplicate, malformed, unknown_job, ignored, retry_later. */
  readonly callbacks: Counter<'provider' | 'result'>;
  readonly inFlight: Gauge<'provider'>;
  readonly interruptedSubmissions: Counter<'provider'>;
  /** Outputs copied into our storage: result stored, retried (a transient failure, tried again) or failed (the generation is refunded). */
  readonly outputCopies: Counter<'provider' | 'result'>;
  readonly outputCopyDuration: Histogram<'provider'>;
  readonly bytesStored: Counter<'kind'>;
  readonly outputsDeleted: Counter<'kind'>;

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'pipevideo_provider_calls_total',
      help: 'Provider API calls by provider, operation (submit, poll, cancel) and outcome (ok or error kind)',
      labelNames: ['provider', 'operation', 'outcome'],
      registers: [registry],
    });
    this.callDuration = new Histogram({
      name: 'pipevideo_provider_call_duration_seconds',
      help: 'Provider API call latency by provider and operation',
      labelNames: ['provider', 'operation'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.callbacks = new Counter({
      name: 'pipevideo_provider_callbacks_total',
      help: 'Provider callbacks received, by provider and result',
      labelNames: ['provider', 'result'],
      registers: [registry],
    });
    this.interruptedSubmissions = new Counter({
      name: 'pipevideo_provider_interrupted_submissions_total',
      help: 'Jobs left submitting by an interrupted submit call (replica killed, database error) and closed as submit_failed, by provider',
      labelNames: ['provider'],
      registers: [registry],
    });
    this.outputCopies = new Counter({
      name: 'pipevideo_output_copies_total',
      help: 'Copies of provider outputs into our storage, by provider and result (stored, retried, failed)',
      labelNames: ['provider', 'result'],
      registers: [registry],
    });
    this.outputCopyDuration = new Histogram({
      name: 'pipevideo_output_copy_duration_seconds',
      help: 'Time to copy a finished job\'s output (and artifact) into our storage, by provider',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.bytesStored = new Counter({
      name: 'pipevideo_output_bytes_stored_total',
      help: 'Bytes of outputs stored, by kind (output video, artifact)',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.outputsDeleted = new Counter({
      name: 'pipevideo_outputs_deleted_total',
      help: 'Stored outputs deleted at the end of their retention, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'pipevideo_provider_jobs_in_flight',
      help: 'Provider jobs submitted (or being submitted) and not final, by provider',
      labelNames: ['provider'],
      registers: [registry],
    });
  }
}
