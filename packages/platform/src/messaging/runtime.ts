import { CustomTransportStrategy, ServerNats } from '@nestjs/microservices';
import { InProcessBus } from './in-process-bus';
import { InProcessEventBus } from './in-process-event-bus';
import { InProcessServer } from './in-process-server';
import { InProcessTransport } from './in-process-transport';
import { JetStreamEventBus } from './jetstream-event-bus';
import { natsConnectionOptions, NatsTransport } from './nats-transport';
import { RpcClient } from './rpc-client';
import { withReceiveSpan } from '../observability/nats-trace';
import type { EventBus } from './event-bus';
import type { Transport } from './transport';
import { InMemorySharedKvStore, JetStreamSharedKv, type SharedKv, type SharedKvOptions } from './shared-kv';

/** Nest's NATS server, subscribed to `<prefix><subject>` while dispatching on the plain subject. */
class PrefixedServerNats extends ServerNats {
  constructor(options: any, private readonly prefix: string) {
    super(options);
  }
  override bindEvents(client: any): void {
    const queue = (this as any).getOptionsProp((this as any).options, 'queue');
    for (const channel of this.messageHandlers.keys()) {
      const handle = (this as any).getMessageHandler(channel).bind(this);
      // Each request runs in the trace its caller sent (NATS headers), when tracing is on.
      const callback = (err: unknown, msg: any) => void withReceiveSpan(channel, 'request', msg?.headers, async () => handle(err, msg));
      const sub = client.subscribe(this.prefix + channel, { queue, callback });
      (this as any).subscriptions.push(sub);
    }
  }
}

/** Shared in-process wiring for embedded mode without NATS: one bus for RPC, one for events. */
export interface InProcessWiring {
  bus: InProcessBus;
  events: InProcessEventBus;
  /** Shared key-value buckets (route health, breakers); created on first use when absent. */
  kv?: InMemorySharedKvStore;
}

/**
 * `prefix` namespaces every NATS subject, the JetStream stream and its durable consumers, so several
 * deployments (or test runs) can share one NATS server without answering each other's requests.
 * Default: PIPEVIDEO_NATS_PREFIX, else none (production subjects as documented).
 */
export type MessagingConfig = { kind: 'nats'; url: string; prefix?: string } | { kind: 'inprocess'; wiring: InProcessWiring };

export function natsPrefixOf(config: { prefix?: string }): string {
  const p = config.prefix ?? process.env.PIPEVIDEO_NATS_PREFIX ?? '';
  if (p && !/^[A-Za-z0-9_-]+$/.test(p)) throw new Error(`NATS prefix must be letters, digits, _ or -: "${p}"`);
  return p ? `${p}.` : '';
}

export function createInProcessWiring(): InProcessWiring {
  return { bus: new InProcessBus(), events: new InProcessEventBus(), kv: new InMemorySharedKvStore() };
}

/** Everything a service needs to talk to the others: RPC client, event bus, RPC server strategy. */
export class Messaging {
  private constructor(
    readonly service: string,
    readonly config: MessagingConfig,
    readonly transport: Transport,
    readonly events: EventBus,
    readonly rpc: RpcClient,
  ) {}

  static async connect(service: string, config: MessagingConfig): Promise<Messaging> {
    if (config.kind === 'nats') {
      const prefix = natsPrefixOf(config);
      const transport = await NatsTransport.connect(config.url, service, prefix);
      const events = await JetStreamEventBus.create(transport.nc, prefix);
      return new Messaging(service, config, transport, events, new RpcClient(transport));
    }
    const transport = new InProcessTransport(config.wiring.bus);
    return new Messaging(service, config, transport, config.wiring.events.view(), new RpcClient(transport));
  }

  /** The Nest transport strategy serving this service's @MessagePattern handlers (queue group = service). */
  serverStrategy(): CustomTransportStrategy {
    if (this.config.kind === 'nats') {
      return new PrefixedServerNats(
        { ...natsConnectionOptions(this.config.url), queue: this.service, maxReconnectAttempts: -1, reconnectTimeWait: 500 } as any,
        natsPrefixOf(this.config),
      ) as any;
    }
    return new InProcessServer(this.config.wiring.bus);
  }

  /**
   * A key-value bucket shared by every replica (JetStream KV on NATS, namespaced like the stream:
   * `<prefix>_<bucket>`; in-memory and shared by the services of one in-process wiring otherwise).
   */
  async kv(bucket: string, o: SharedKvOptions): Promise<SharedKv> {
    if (!/^[A-Za-z0-9_-]+$/.test(bucket)) throw new Error(`kv bucket names are letters, digits, _ or -: "${bucket}"`);
    if (this.config.kind === 'nats') {
      const prefix = natsPrefixOf(this.config);
      return JetStreamSharedKv.open((this.transport as NatsTransport).nc, prefix ? `${prefix.slice(0, -1)}_${bucket}` : bucket, o);
    }
    const wiring = this.config.wiring;
    wiring.kv ??= new InMemorySharedKvStore();
    return wiring.kv.bucket(bucket, o);
  }

  /** True when the underlying connection is usable (readiness). */
  healthy(): boolean {
    if (this.transport instanceof NatsTransport) return !this.transport.nc.isClosed();
    return true;
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.transport.close();
  }
}
