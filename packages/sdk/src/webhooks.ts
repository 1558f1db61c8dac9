import { Webhook, WebhookVerificationError as SwVerificationError } from 'standardwebhooks';

/** A delivered event: `video.generation.completed` (both APIs) or `webhook.test`. */
export interface WebhookEvent<D = Record<string, unknown>> {
  type: 'video.generation.completed' | 'webhook.test' | string;
  /** When it happened (ISO 8601); the same on every retry of the delivery. */
  timestamp: string;
  data: D;
}

/** `data` of `video.generation.completed`. */
export interface GenerationCompletedData {
  generationId: string;
  api: 'video' | 'responses';
  status: 'completed' | 'failed' | 'cancelled' | string;
  outputUrl: string | null;
  errorMessage: string | null;
  model: string | null;
  provider: string | null;
  costCents: number;
  completedAt: number;
  [k: string]: unknown;
}

/** The signature did not verify (wrong secret, tampered body, or a timestamp outside 5 minutes). Answer 400. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function headerRecord(headers: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
    return out;
  }
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Verifies a webhook delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`)
 * with the endpoint's `whsec_…` secret and returns the parsed event. `body` must be the raw request body
 * exactly as received (not re-serialised JSON). Throws WebhookVerificationError otherwise.
 */
export function verifyWebhook<D = GenerationCompletedData>(headers: HeaderBag, body: string | Uint8Array, secret: string): WebhookEvent<D> {
  const payload = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return new Webhook(secret).verify(payload, headerRecord(headers)) as WebhookEvent<D>;
  } catch (err) {
    if (err instanceof SwVerificationError) throw new WebhookVerificationError(err.message);
    throw new WebhookVerificationError(`webhook could not be verified: ${(err as Error).message}`);
  }
}
