import { SingleBar } from 'cli-progress';
import type { GenerateProgress } from '../client';

export interface ProgressView {
  update(p: GenerateProgress): void;
  stop(): void;
}

const elapsed = (ms: number) => `${Math.floor(ms / 1000)}s`;

/**
 * `generate`'s progress on stderr (stdout stays for results and --json). In a terminal: a live bar with
 * status, percentage and elapsed time, redrawn every second; otherwise one line per status change.
 */
export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (!stream.isTTY) {
    let last = '';
    return {
      update(p) {
        if (p.status === last) return;
        last = p.status;
        stream.write(`${p.id} ${p.status} ${p.progress}% ${elapsed(p.elapsedMs)}\n`);
      },
      stop() {},
    };
  }
  const started = Date.now();
  const bar = new SingleBar({
    stream,
    format: '{bar} {percentage}% | {status} | {elapsed} | {id}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    fps: 4,
  });
  let state = { status: 'creating', id: '' };
  bar.start(100, 0, { ...state, elapsed: '0s' });
  // The elapsed time moves between polls too.
  const tick = setInterval(() => bar.update({ ...state, elapsed: elapsed(Date.now() - started) }), 1000);
  return {
    update(p) {
      state = { status: p.status, id: p.id };
      bar.update(p.progress, { ...state, elapsed: elapsed(p.elapsedMs) });
    },
    stop() {
      clearInterval(tick);
      bar.stop();
    },
  };
}
