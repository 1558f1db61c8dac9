import type { ProviderAdapter } from '../adapters/provider-adapter';
import { isProviderError } from '../adapters/provider-error';
import type { ProviderMetrics } from '../providers.metrics';

/**
 * Wraps an adapter so every provider call is counted and timed the same way, whatever the adapter
 * does: `pipevideo_provider_calls_total{provider,operation,outcome}` (outcome = ok | error kind)
 * and `pipevideo_provider_call_duration_seconds{provider,operation}`.
 */
export function instrumentAdapter(inner: ProviderAdapter, metrics: ProviderMetrics): ProviderAdapter {
  const timed = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    const end = metrics.callDuration.startTimer({ provider: inner.slug, operation });
    try {
      const result = await fn();
      metrics.calls.inc({ provider: inner.slug, operation, outcome: 'ok' });
      return result;
    } catch (err) {
      metrics.calls.inc({ provider: inner.slug, operation, outcome: isProviderError(err) ? err.kind : 'error' });
      throw err;
    } finally {
      end();
    }
  };
  return {
    slug: inner.slug,
    mode: inner.mode,
    api: inner.api,
    normalise: (params, ctx) => inner.normalise(params, ctx),
    submit: (req) => timed('submit', () => inner.submit(req)),
    poll: (handle, credentials) => timed('poll', () => inner.poll(handle, credentials)),
    cancel: (handle, credentials) => timed('cancel', () => inner.cancel(handle, credentials)),
    verifyKey: inner.verifyKey ? (apiKey) => timed('verify_key', () => inner.verifyKey!(apiKey)) : undefined,
    verifyAndParseCallback: inner.verifyAndParseCallback ? (req) => inner.verifyAndParseCallback!(req) : undefined,
    classifyError: (answer, op) => inner.classifyError(answer, op),
  };
}
