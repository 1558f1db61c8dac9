import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stallGuard } from './stall-guard';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stallGuard', () => {
  it('calls onStall when the reader waits too long for the next chunk (a server silent mid-body)', async () => {
    const source = new PassThrough();
    let stalled = 0;
    const guard = stallGuard(100, () => stalled++);
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const done = pipeline(source, guard, sink).catch(() => undefined);
    source.write(Buffer.alloc(10));
    await sleep(250);
    expect(stalled).toBe(1);
    source.end();
    await done;
  });

  it('does not count the time its reader is busy (our storage uploading, its backpressure)', async () => {
    const source = new PassThrough({ highWaterMark: 16 });
    let stalled = 0;
    const guard = stallGuard(100, () => stalled++);
    // A reader that takes 300 ms per chunk, three times the budget, while the server has data ready.
    const sink = new Writable({ highWaterMark: 1, write: (_c, _e, done) => void setTimeout(done, 300) });
    const done = pipeline(source, guard, sink);
    for (let i = 0; i < 3; i++) source.write(Buffer.alloc(64));
    source.end();
    await done;
    expect(stalled).toBe(0);
  });

  it('stops its clock when the body ends or the stream is destroyed', async () => {
    let stalled = 0;
    const source = new PassThrough();
    const guard = stallGuard(50, () => stalled++);
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const done = pipeline(source, guard, sink);
    source.end(Buffer.alloc(5));
    await done;
    const other = stallGuard(50, () => stalled++);
    other.resume();
    other.destroy();
    await sleep(150);
    expect(stalled).toBe(0);
  });
});
