import { Transform } from 'node:stream';

/**
 * A pass-through that calls `onStall` when its reader has been waiting `ms` for the next chunk: a file
 * server that sends its headers and then goes silent mid-body. The clock runs only while the reader asks
 * for data (`_read`) and stops when a chunk arrives, so a slow reader — our storage uploading a part, its
 * backpressure — is never taken for a silent server.
 */
export function stallGuard(ms: number, onStall: () => void): Transform {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const guard = new Transform({
    transform(chunk, _encoding, done) {
      stop();
      done(null, chunk);
    },
    flush(done) {
      stop();
      done();
    },
  });
  const read = guard._read.bind(guard);
  guard._read = (size: number) => {
    timer ??= setTimeout(() => {
      timer = undefined;
      onStall();
    }, ms);
    read(size);
  };
  guard.once('close', stop);
  return guard;
}
