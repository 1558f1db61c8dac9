import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom, isObservable, of, defaultIfEmpty } from 'rxjs';
import { InProcessBus } from './in-process-bus';

/**
 * Nest transport strategy that serves @MessagePattern handlers on the in-process bus, with the
 * same packet format as Nest's NATS server (`{pattern, data, id}` in, `{id, response|err}` out).
 */
export class InProcessServer extends Server implements CustomTransportStrategy {
  private unregister: Array<() => void> = [];
  constructor(private readonly bus: InProcessBus) {
    super();
  }

  listen(callback: () => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      this.unregister.push(
        this.bus.register(pattern, async (raw) => {
          const packet = JSON.parse(raw) as { id: string; data: unknown };
          try {
            const result = await handler(packet.data, {} as any);
            const value = isObservable(result) ? await lastValueFrom(result.pipe(defaultIfEmpty(undefined))) : await lastValueFrom(of(result));
            return JSON.stringify({ id: packet.id, response: value, isDisposed: true });
          } catch (err) {
            return JSON.stringify({ id: packet.id, err, isDisposed: true });
          }
        }),
      );
    }
    callback();
  }

  close(): void {
    this.unregister.forEach((u) => u());
    this.unregister = [];
  }

  on(): void {}
  unwrap<T>(): T {
    return this.bus as unknown as T;
  }
}
