#!/usr/bin/env node
'use strict';
/**
 * Writes the Grafana dashboard infra/grafana/dashboards/pipevideo.json. The JSON is what Grafana
 * loads (and what is committed); this file is how it is made, so that its panels stay consistent
 * (same datasource, units, probe filter, layout). Change panels here, then run
 *   node infra/grafana/build-dashboard.cjs
 * scripts/check-infra.sh fails when the committed JSON differs from what this script writes.
 * Usage: node infra/grafana/build-dashboard.cjs [output file]
 */
const fs = require('fs');
const DS = { type: 'prometheus', uid: 'prometheus' };
const NOT_PROBES = 'route!~"/health.*|/metrics"';
const SVC = 'service=~"$service"';
let id = 0;
let y = 0;
const panels = [];
let rowX = 0, rowH = 0;

function row(title) {
  if (rowX) { y += rowH; rowX = 0; rowH = 0; }
  panels.push({ type: 'row', title, id: ++id, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
  y += 1;
}
function place(w, h) {
  if (rowX + w > 24) { y += rowH; rowX = 0; rowH = 0; }
  const pos = { h, w, x: rowX, y };
  rowX += w; rowH = Math.max(rowH, h);
  return pos;
}
function targets(qs) {
  return qs.map(([expr, legend, extra], i) => ({ datasource: DS, refId: String.fromCharCode(65 + i), expr, legendFormat: legend ?? '__auto', range: true, ...(extra || {}) }));
}
function ts(title, description, qs, o = {}) {
  panels.push({
    type: 'timeseries', title, description, id: ++id, datasource: DS, gridPos: place(o.w ?? 8, o.h ?? 8),
    fieldConfig: {
      defaults: {
        unit: o.unit ?? 'short', min: 'min' in o ? o.min : 0, ...(o.max !== undefined ? { max: o.max } : {}),
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: o.stack ? 60 : 10, showPoints: 'never', spanNulls: true,
          stacking: { mode: o.stack ? 'normal' : 'none', group: 'A' } },
        ...(o.thresholds ? { thresholds: o.thresholds } : {}),
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets(qs),
  });
}
function stat(title, description, qs, o = {}) {
  panels.push({
    type: 'stat', title, description, id: ++id, datasource: DS, gridPos: place(o.w ?? 4, o.h ?? 4),
    fieldConfig: { defaults: { unit: o.unit ?? 'short', decimals: o.decimals, thresholds: o.thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] }, mappings: o.mappings ?? [] }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: o.colorMode ?? 'background', graphMode: 'none', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' },
    targets: targets(qs.map(([e, l]) => [e, l, { instant: true, range: false }])),
  });
}
const redAbove = (v) => ({ mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: v }] });

row('Overview');
stat('Replicas up', 'Scrape targets answering, per service (Docker DNS finds every replica).',
  [['sum by (job) (up{job=~"gateway|billing|router|providers|webhooks"})', '{{job}}']],
  { w: 10, thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } });
stat('Firing alerts', 'Alerts firing now (Prometheus → Alerts).', [['count(ALERTS{alertstate="firing", alertname=~"Pipevideo.*"}) or vector(0)', 'firing']], { w: 4, thresholds: redAbove(1) });
stat('Generations overdue', 'Processing generations past their deadline. Should be 0 (alert PipevideoGenerationsStuck).', [['max(pipevideo_generations_overdue) or vector(0)', 'overdue']], { w: 5, thresholds: redAbove(1) });
stat('Ledger imbalance', 'Sum of all ledger entries, in cents. Must be 0 (alert PipevideoLedgerImbalance).', [['max(abs(pipevideo_billing_ledger_imbalance_cents))', 'cents']], { w: 5, thresholds: redAbove(1) });

row('HTTP: rate, errors, latency');
ts('HTTP requests/s by service', 'Health probes and /metrics excluded.',
  [[`sum by (service) (rate(pipevideo_http_request_duration_seconds_count{${SVC}, ${NOT_PROBES}}[$__rate_interval]))`, '{{service}}']], { unit: 'reqps' });
ts('HTTP 5xx ratio by service', 'Share of requests answered 5xx (alert PipevideoHighErrorRate at 5%).',
  [[`sum by (service) (rate(pipevideo_http_request_duration_seconds_count{${SVC}, ${NOT_PROBES}, status_code=~"5.."}[$__rate_interval])) / sum by (service) (rate(pipevideo_http_request_duration_seconds_count{${SVC}, ${NOT_PROBES}}[$__rate_interval]))`, '{{service}}']],
  { unit: 'percentunit', thresholds: redAbove(0.05) });
ts('HTTP latency p50 / p99 by service', 'From pipevideo_http_request_duration_seconds (alert PipevideoHighLatencyP99 at 2s).',
  [[`histogram_quantile(0.5, sum by (service, le) (rate(pipevideo_http_request_duration_seconds_bucket{${SVC}, ${NOT_PROBES}}[$__rate_interval])))`, '{{service}} p50'],
   [`histogram_quantile(0.99, sum by (service, le) (rate(pipevideo_http_request_duration_seconds_bucket{${SVC}, ${NOT_PROBES}}[$__rate_interval])))`, '{{service}} p99']], { unit: 's' });
ts('Gateway requests/s by route and status', 'Public API traffic by route template and status code.',
  [[`sum by (method, route, status_code) (rate(pipevideo_http_request_duration_seconds_count{service="gateway", ${NOT_PROBES}}[$__rate_interval]))`, '{{method}} {{route}} {{status_code}}']], { unit: 'reqps', w: 12 });
ts('Gateway rate-limited, auth failures and idempotent replays/s', 'Requests refused with 429 by the per-key rate limit; refused authentications by reason; POSTs answered from a stored Idempotency-Key result.',
  [['sum(rate(pipevideo_gateway_rate_limited_total[$__rate_interval]))', 'rate limited'],
   ['sum by (reason) (rate(pipevideo_gateway_auth_failures_total[$__rate_interval]))', 'auth failure: {{reason}}'],
   ['sum(rate(pipevideo_gateway_idempotent_replays_total[$__rate_interval]))', 'idempotent replay']], { unit: 'reqps', w: 12 });

row('NATS request/reply');
ts('NATS requests/s by service and outcome', 'Handled requests; outcome = ok, a DomainError code, or error.',
  [[`sum by (service, outcome) (rate(pipevideo_nats_handler_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{service}} {{outcome}}']], { unit: 'reqps' });
ts('NATS error ratio by service', 'internal errors and SERVICE_UNAVAILABLE over all handled requests (alert PipevideoHighRpcErrorRate).',
  [[`sum by (service) (rate(pipevideo_nats_handler_duration_seconds_count{${SVC}, outcome=~"error|internal_server_error|service_unavailable"}[$__rate_interval])) / sum by (service) (rate(pipevideo_nats_handler_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{service}}']],
  { unit: 'percentunit', thresholds: redAbove(0.05) });
ts('NATS handler latency p50 / p99 by service', 'From pipevideo_nats_handler_duration_seconds.',
  [[`histogram_quantile(0.5, sum by (service, le) (rate(pipevideo_nats_handler_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{service}} p50'],
   [`histogram_quantile(0.99, sum by (service, le) (rate(pipevideo_nats_handler_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{service}} p99']], { unit: 's' });

row('Generations and routing');
ts('Active generations by provider and status', 'Generations not yet finished, from the router database (deduplicated across router replicas).',
  [['sum by (provider, status) (max by (api, status, provider, model) (pipevideo_generations{status!~"completed|failed|cancelled|incomplete"}))', '{{provider}} {{status}}']], { stack: true });
ts('Generations finished in the last 10 min by provider', 'Completed and failed generations by provider (sum over router replicas of the finished counter).',
  [['sum by (provider, status) (increase(pipevideo_generations_finished_total[10m]))', '{{provider}} {{status}}']], { stack: true });
ts('Generations finished/s by status', 'Generations reaching a final status per second, by status (sum over router replicas).',
  [['sum by (status) (rate(pipevideo_generations_finished_total[$__rate_interval]))', '{{status}}']], { unit: 'ops' });
ts('Route fallbacks/s by reason', 'Moves to the next route or model (down, rate limited, moderation, timeout, ...).',
  [['sum by (reason) (rate(pipevideo_route_fallbacks_total[$__rate_interval]))', '{{reason}}']], { unit: 'ops', stack: true });
panels.push({
  type: 'state-timeline', title: 'Circuit breaker state by route', id: ++id, datasource: DS, gridPos: place(8, 8),
  description: 'Worst state over router replicas: closed, half_open (probing) or open (alert PipevideoCircuitBreakerOpen).',
  fieldConfig: { defaults: { custom: { fillOpacity: 80, lineWidth: 0 }, color: { mode: 'thresholds' },
    thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }, { color: 'red', value: 2 }] },
    mappings: [{ type: 'value', options: { 0: { text: 'closed', color: 'green', index: 0 }, 1: { text: 'half_open', color: 'yellow', index: 1 }, 2: { text: 'open', color: 'red', index: 2 } } }] }, overrides: [] },
  options: { showValue: 'never', mergeValues: true, alignValue: 'left', rowHeight: 0.9, legend: { showLegend: false } },
  targets: targets([['max by (route) (2 * pipevideo_circuit_breaker_state{state="open"} + ignoring (state) pipevideo_circuit_breaker_state{state="half_open"})', '{{route}}']]),
});
ts('Generations overdue', 'Processing generations past their deadline (alert PipevideoGenerationsStuck).',
  [['max(pipevideo_generations_overdue)', 'overdue']], { thresholds: redAbove(1) });
ts('Route selection p99', 'Time to resolve the candidate routes of a request.',
  [['histogram_quantile(0.99, sum by (le) (rate(pipevideo_route_selection_duration_seconds_bucket[$__rate_interval])))', 'p99']], { unit: 's' });

row('Providers');
ts('Provider calls/s by provider and outcome', 'Calls the providers service makes to fal, Replicate, Vercel AI Gateway and Framerate.',
  [['sum by (provider, operation, outcome) (rate(pipevideo_provider_calls_total[$__rate_interval]))', '{{provider}} {{operation}} {{outcome}}']], { unit: 'ops' });
ts('Provider call latency p99 by provider', 'From pipevideo_provider_call_duration_seconds.',
  [['histogram_quantile(0.99, sum by (provider, le) (rate(pipevideo_provider_call_duration_seconds_bucket[$__rate_interval])))', '{{provider}} p99']], { unit: 's' });
ts('Provider jobs in flight by provider', 'Jobs submitted (or being submitted) to a provider and not final.',
  [['sum by (provider) (max by (provider, service) (pipevideo_provider_jobs_in_flight))', '{{provider}}']], { stack: true });
ts('Provider callbacks/s by provider and result', 'Callbacks received from fal and Replicate (accepted, bad signature, duplicate, ...).',
  [['sum by (provider, result) (rate(pipevideo_provider_callbacks_total[$__rate_interval]))', '{{provider}} {{result}}']], { unit: 'ops' });

row('Credits (billing)');
ts('Money moved by operation (cents/min)', 'Credit flow through the ledger: top-ups, holds, captures, releases/refunds.',
  [['sum by (operation) (rate(pipevideo_billing_money_moved_cents_total[$__rate_interval])) * 60', '{{operation}}']], { w: 12 });
stat('Money moved in the time range (USD)', 'Sum over the dashboard time range, by operation.',
  [['sum by (operation) (increase(pipevideo_billing_money_moved_cents_total[$__range])) / 100', '{{operation}}']], { w: 12, h: 8, unit: 'currencyUSD', decimals: 2, colorMode: 'value' });
ts('Holds open', 'Credit holds placed and not yet captured or released.',
  [['max(pipevideo_billing_holds_open)', 'open holds']]);
ts('Hold failures/s by reason', 'Holds refused by reason (insufficient_balance is the customer\'s business; error, invalid_request and conflict alert PipevideoBillingHoldsFailing).',
  [['sum by (reason) (rate(pipevideo_billing_holds_failed_total[$__rate_interval]))', '{{reason}}']], { unit: 'ops' });
ts('Ledger imbalance (cents)', 'Sum of all ledger entries; any value but 0 pages (PipevideoLedgerImbalance).',
  [['max by (service) (pipevideo_billing_ledger_imbalance_cents)', 'imbalance']], { min: undefined, thresholds: redAbove(1) });

row('Customer webhooks');
ts('Deliveries finished/s by outcome', 'succeeded, failed (gone / endpoint disabled), exhausted (all retries failed).',
  [['sum by (outcome) (rate(pipevideo_webhook_deliveries_total[$__rate_interval]))', '{{outcome}}']], { unit: 'ops', stack: true });
ts('Attempt success ratio and results', 'Share of HTTP attempts answered 2xx, and attempts by result.',
  [['sum(rate(pipevideo_webhook_delivery_attempts_total{result="ok"}[$__rate_interval])) / sum(rate(pipevideo_webhook_delivery_attempts_total[$__rate_interval]))', 'success ratio']], { unit: 'percentunit', max: 1 });
ts('Attempts/s by result', 'ok, http_3xx/4xx/5xx, timeout, network, refused (SSRF policy), aborted.',
  [['sum by (result) (rate(pipevideo_webhook_delivery_attempts_total[$__rate_interval]))', '{{result}}']], { unit: 'ops', stack: true });
ts('Webhook backlog', 'Pending deliveries: due, waiting for a retry, or in flight (alert PipevideoWebhookBacklogGrowing).',
  [['max(pipevideo_webhook_backlog)', 'pending']]);
ts('Oldest due delivery waiting', 'How long the oldest due delivery has waited for a worker (alert PipevideoWebhookDeliveryLagHigh at 2m).',
  [['max(pipevideo_webhook_oldest_pending_age_seconds)', 'oldest due']], { unit: 's' });
ts('Attempt duration p50 / p99', 'One delivery attempt, request sent to answer read.',
  [['histogram_quantile(0.5, sum by (le) (rate(pipevideo_webhook_delivery_duration_seconds_bucket[$__rate_interval])))', 'p50'],
   ['histogram_quantile(0.99, sum by (le) (rate(pipevideo_webhook_delivery_duration_seconds_bucket[$__rate_interval])))', 'p99']], { unit: 's' });

row('Durable events (outbox → JetStream)');
ts('Outbox pending events by service', 'Events committed with a state change and not yet published (alert PipevideoOutboxBacklogGrowing).',
  [[`max by (service) (pipevideo_outbox_pending_events{${SVC}})`, '{{service}}']]);
ts('Outbox lag by service', 'Age of the oldest unpublished event (alert PipevideoOutboxLagHigh at 60s).',
  [[`max by (service) (pipevideo_outbox_oldest_pending_age_seconds{${SVC}})`, '{{service}}']], { unit: 's' });
ts('Events handled/s by service and outcome', 'Durable events consumed: ok, duplicate (de-duplicated by the inbox), error (redelivered).',
  [[`sum by (service, outcome) (rate(pipevideo_events_handled_total{${SVC}}[$__rate_interval]))`, '{{service}} {{outcome}}']], { unit: 'ops' });

row('Runtime');
ts('Resident memory by replica', 'prom-client default metrics.',
  [[`pipevideo_process_resident_memory_bytes{${SVC}}`, '{{service}} {{instance}}']], { unit: 'bytes' });
ts('CPU by replica', 'CPU seconds per second (1 = one core).',
  [[`rate(pipevideo_process_cpu_seconds_total{${SVC}}[$__rate_interval])`, '{{service}} {{instance}}']], { unit: 'percentunit' });
ts('Event loop lag p99 by replica', 'A busy or blocked event loop delays every request on that replica.',
  [[`pipevideo_nodejs_eventloop_lag_p99_seconds{${SVC}}`, '{{service}} {{instance}}']], { unit: 's' });

const dashboard = {
  uid: 'pipevideo-overview',
  title: 'Pipevideo',
  description: 'Pipevideo services: traffic, errors and latency per service; generations, routing and breakers; providers; credits; customer webhooks; outbox. Metrics catalogue: docs/observability.md. Alerts: docs/runbook.md.',
  tags: ['pipevideo'],
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-1h', to: 'now' },
  refresh: '30s',
  timezone: 'browser',
  annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
  links: [],
  templating: {
    list: [{
      name: 'service', label: 'service', type: 'query', datasource: DS,
      query: { query: 'label_values(pipevideo_process_start_time_seconds, service)', refId: 'service' },
      definition: 'label_values(pipevideo_process_start_time_seconds, service)',
      refresh: 2, includeAll: true, multi: true, allValue: '.*',
      current: { selected: true, text: ['All'], value: ['$__all'] }, sort: 1, options: [],
    }],
  },
  panels,
};
const out = process.argv[2] || require('path').join(__dirname, 'dashboards', 'pipevideo.json');
fs.writeFileSync(out, JSON.stringify(dashboard, null, 2) + '\n');
console.log(`${panels.length} panels written to ${out}`);
