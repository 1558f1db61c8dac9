import type { GenerationRow } from './generation.types';

/**
 * `progress` (0–100), `queue_position` and `phase` of a generation as both APIs show them: the last
 * progress the provider reported (mapped in its adapter), 100 once completed; before any report, 0
 * while pending and the provider-less `queued`. Final failures keep the last value reached.
 */
export function progressView(g: GenerationRow): { progress: number; queue_position: number | null; phase: string | null } {
  if (g.status === 'completed') return { progress: 100, queue_position: null, phase: 'completed' };
  const p = g.progress;
  const live = g.status === 'pending' || g.status === 'processing';
  return {
    progress: Math.max(0, Math.min(100, Math.round(p?.percent ?? 0))),
    queue_position: live ? p?.queuePosition ?? null : null,
    phase: live ? p?.phase ?? (g.status === 'pending' ? 'queued' : 'submitted') : null,
  };
}
