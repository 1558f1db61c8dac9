import type { WebhookDeliveryStatus, WebhookDeliveryView, WebhookEndpointView, WebhookEventType } from '@pipevideo/contracts';

/** An `endpoints` row as the stores read it. */
export interface EndpointRow {
  id: string;
  org_id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  consecutive_exhausted: number;
  created_at: Date;
  updated_at: Date;
}

/** A `deliveries` row as the stores read it. */
export interface DeliveryRow {
  id: string;
  org_id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  lease_token: string | null;
  last_status_code: number | null;
  last_error: string | null;
  latency_ms: number | null;
  created_at: Date;
  completed_at: Date | null;
  /** The request that caused the delivery, for logs only: deliveryView never shows it. */
  correlation_id: string | null;
}

export const unixSeconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

export function endpointView(r: EndpointRow, now = new Date()): WebhookEndpointView {
  const previousActive = r.previous_secret_expires_at && r.previous_secret_expires_at > now;
  return {
    id: r.id,
    object: 'webhook_endpoint',
    url: r.url,
    events: r.events as WebhookEventType[],
    description: r.description,
    enabled: r.enabled,
    disabled_reason: r.enabled ? null : r.disabled_reason,
    disabled_at: r.enabled ? null : unixSeconds(r.disabled_at),
    previous_secret_expires_at: previousActive ? unixSeconds(r.previous_secret_expires_at) : null,
    created_at: unixSeconds(r.created_at)!,
    updated_at: unixSeconds(r.updated_at)!,
  };
}

export function deliveryView(r: DeliveryRow, now = new Date()): WebhookDeliveryView {
  // While a worker holds it, next_attempt_at is the lease's end, not a scheduled attempt.
  const inFlight = r.status === 'pending' && r.lease_token !== null && r.next_attempt_at !== null && r.next_attempt_at > now;
  return {
    id: r.id,
    object: 'webhook_delivery',
    endpoint_id: r.endpoint_id,
    event_id: r.message_id,
    event_type: r.event_type as WebhookDeliveryView['event_type'],
    status: r.status,
    attempts: r.attempts,
    last_status_code: r.last_status_code,
    last_error: r.last_error,
    latency_ms: r.latency_ms,
    next_attempt_at: r.status === 'pending' ? (inFlight ? unixSeconds(now) : unixSeconds(r.next_attempt_at)) : null,
    created_at: unixSeconds(r.created_at)!,
    completed_at: unixSeconds(r.completed_at),
  };
}
