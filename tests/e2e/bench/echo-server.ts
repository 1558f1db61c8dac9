/**
 * The ceiling for `pnpm bench gateway`: a NestJS (Fastify) HTTP app whose handler makes one NATS
 * request to a NestJS microservice that echoes — the same frameworks and hops as the gateway, with no
 * work. Started as its own process by gateway.ts.
 */
import { Controller, Get, Inject, Module, Param } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { createTestDatabase, SERVICE_CONTEXT, ServiceContext, startService } from '@pipevideo/platform';

@Controller()
class EchoController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}
  @MessagePattern('echo.message.send')
  echo(@Payload() data: unknown) {
    return data;
  }
  @Get('echo/:id')
  http(@Param('id') id: string) {
    return this.ctx.messaging.rpc.request('echo.message.send', { id });
  }
}
@Module({ controllers: [EchoController] })
class EchoModule {}

async function main() {
  const db = await createTestDatabase('pv_bench_echo');
  const svc = await startService({ name: 'echo', port: Number(process.env.PORT ?? 0), messaging: { kind: 'nats', url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' }, db: { url: db.url, migrations: [] }, module: () => EchoModule });
  process.send?.({ ready: true, url: svc.url });
  process.on('SIGTERM', async () => {
    await svc.close();
    await db.drop();
    process.exit(0);
  });
}
void main();
