import { framerateProgress } from './framerate/framerate.adapter';
import { falProgress } from './fal/fal.adapter';
import { logPercent, predictionStatus } from './replicate/replicate.adapter';

/** Progress as each adapter maps its provider's words (docs/outputs.md, "Progress"). */
describe('progress mapping', () => {
  it('fal: queue position while IN_QUEUE, half way while IN_PROGRESS', () => {
    expect(falProgress('IN_QUEUE', { queue_position: 3 })).toEqual({ percent: 5, queuePosition: 3, phase: 'queued' });
    expect(falProgress('IN_QUEUE', {})).toEqual({ percent: 5, queuePosition: null, phase: 'queued' });
    expect(falProgress('IN_PROGRESS', {})).toEqual({ percent: 50, queuePosition: null, phase: 'processing' });
    expect(falProgress('SOMETHING_NEW', {})).toBeUndefined();
  });

  it('Replicate: starting, then the last tqdm percentage of the logs (kept within 10–95)', () => {
    expect(predictionStatus({ status: 'starting' })).toEqual({ state: 'running', progress: { percent: 5, queuePosition: null, phase: 'starting' } });
    expect(predictionStatus({ status: 'processing', logs: 'Generating video...\n 10%|█ | 5/50\n 64%|██████▍ | 32/50\n' })).toEqual({
      state: 'running',
      progress: { percent: 64, queuePosition: null, phase: 'processing' },
    });
    expect(predictionStatus({ status: 'processing', logs: 'no bar yet' })).toMatchObject({ progress: { percent: 50 } });
    expect(logPercent('100%|██████████| 50/50')).toBe(95);
    expect(logPercent(' 0%|          | 0/50')).toBe(10);
  });

  it('Framerate: queued with its position, composing and rendering by phase (and phase_progress when given)', () => {
    expect(framerateProgress('queued', { queue_position: 2 })).toEqual({ percent: 5, queuePosition: 2, phase: 'queued' });
    expect(framerateProgress('composing', {})).toEqual({ percent: 23, queuePosition: null, phase: 'composing' });
    expect(framerateProgress('rendering', { phase_progress: 0.5 })).toEqual({ percent: 68, queuePosition: null, phase: 'rendering' });
  });
});
