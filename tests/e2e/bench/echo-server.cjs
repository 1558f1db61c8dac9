// The ceiling for `pnpm bench gateway`: a NestJS (Fastify) HTTP app whose handler makes one NATS
// request to a NestJS microservice that echoes — the same frameworks, platform and hops as the gateway,
// doing no work. Plain JavaScript (decorators applied by hand) so it runs as plain node, like the services.
require('reflect-metadata');
const { Controller, Get, Inject, Module, Param } = require('@nestjs/common');
const { MessagePattern, Payload } = require('@nestjs/microservices');
const { createTestDatabase, SERVICE_CONTEXT, startService } = require('@pipevideo/platform');

class EchoController {
  constructor(ctx) {
    this.ctx = ctx;
  }
  echo(data) {
    return data;
  }
  http(id) {
    return this.ctx.messaging.rpc.request('echo.message.send', { id });
  }
}
Inject(SERVICE_CONTEXT)(EchoController, undefined, 0);
const d = (name) => Object.getOwnPropertyDescriptor(EchoController.prototype, name);
MessagePattern('echo.message.send')(EchoController.prototype, 'echo', d('echo'));
Payload()(EchoController.prototype, 'echo', 0);
Get('echo/:id')(EchoController.prototype, 'http', d('http'));
Param('id')(EchoController.prototype, 'http', 0);
Controller()(EchoController);
class EchoModule {}
Module({ controllers: [EchoController] })(EchoModule);

async function main() {
  const db = await createTestDatabase('pv_bench_echo');
  const svc = await startService({
    name: 'echo',
    port: Number(process.env.PORT || 0),
    messaging: { kind: 'nats', url: process.env.NATS_URL || 'nats://127.0.0.1:4222', prefix: db.name },
    db: { url: db.url, migrations: [] },
    module: () => EchoModule,
  });
  process.send && process.send({ ready: true, url: svc.url });
  process.on('SIGTERM', async () => {
    await svc.close();
    await db.drop();
    process.exit(0);
  });
}
main();
