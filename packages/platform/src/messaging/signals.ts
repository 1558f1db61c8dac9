import { EventEmitter } from 'node:events';
import { StringCodec, type NatsConnection, type Subscription } from 'nats';

const sc = StringCodec();

/**
 * Signals: fire-and-forget notifications to every replica that listens (NATS core publish/subscribe,
 * no queue group, nothing stored). For "something changed, look again" only — never for state that
 * must not be lost: a listener that missed one still reads the truth from its owner. The gateway's
 * push channels (SSE, long-poll) wake on the router's `signal.generation.changed`.
 */
export interface Signals {
  publish(subject: string, payload: Record<string, unknown>): void;
  /** Calls `handler` for every signal on `subject` (parsed); returns the unsubscribe. */
  subscribe(subject: string, handler: (payload: Record<string, unknown>) => void): () => void;
}

export class NatsSignals implements Signals {
  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {}

  publish(subject: string, payload: Record<string, unknown>): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(this.prefix + subject, sc.encode(JSON.stringify(payload)));
    } catch {
      /* a signal is best-effort: the listener reads the truth on its next look */
    }
  }

  subscribe(subject: string, handler: (payload: Record<string, unknown>) => void): () => void {
    const sub: Subscription = this.nc.subscribe(this.prefix + subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          handler(JSON.parse(sc.decode(msg.data)));
        } catch {
          /* a malformed signal is ignored */
        }
      },
    });
    return () => sub.unsubscribe();
  }
}

/** The in-process transport's signals: one emitter shared by the services of an in-process wiring (payloads still serialised). */
export class InProcessSignals implements Signals {
  constructor(private readonly emitter: EventEmitter) {
    emitter.setMaxListeners(0);
  }

  publish(subject: string, payload: Record<string, unknown>): void {
    const text = JSON.stringify(payload);
    setImmediate(() => this.emitter.emit(subject, text));
  }

  subscribe(subject: string, handler: (payload: Record<string, unknown>) => void): () => void {
    const listener = (text: string) => handler(JSON.parse(text));
    this.emitter.on(subject, listener);
    return () => this.emitter.off(subject, listener);
  }
}
