import { CustomTransportStrategy, ServerNats } from '@nestjs/microservices';
import { InProcessBus } from './in-process-bus';
import { InProcessEventBus } from './in-process-event-bus';
import { InProcessServer } from './in-process-server';
import { InProcessTransport } from './in-process-transport';
import { JetStreamEventBus } from './jetstream-event-bus';
import { NatsTransport } from './nats-transport';
import { RpcClient } from './rpc-client';
import type { EventBus } from './event-bus';
import type { Transport } from './transport';

/** Shared in-process wiring for embedded mode without NATS: one bus for RPC, one for events. */
export interface InProcessWiring {
  bus: InProcessBus;
  events: InProcessEventBus;
}

export type MessagingConfig = { kind: 'nats'; url: string } | { kind: 'inprocess'; wiring: InProcessWiring };

export function createInProcessWiring(): InProcessWiring {
  return { bus: new InProcessBus(), events: new InProcessEventBus() };
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
      const transport = await NatsTransport.connect(config.url, service);
      const events = await JetStreamEventBus.create(transport.nc);
      return new Messaging(service, config, transport, events, new RpcClient(transport));
    }
    const transport = new InProcessTransport(config.wiring.bus);
    return new Messaging(service, config, transport, config.wiring.events, new RpcClient(transport));
  }

  /** The Nest transport strategy serving this service's @MessagePattern handlers (queue group = service). */
  serverStrategy(): CustomTransportStrategy {
    if (this.config.kind === 'nats') {
      return new ServerNats({ servers: this.config.url, queue: this.service, maxReconnectAttempts: -1, reconnectTimeWait: 500 } as any) as any;
    }
    return new InProcessServer(this.config.wiring.bus);
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
