/**
 * A webhooks instance in its own process, for the crash test: starts the service on the given
 * database, creates an endpoint, publishes N events, prints `READY <json>` and then just runs until
 * the parent SIGKILLs it mid-delivery.
 */
import { RPC, type WebhookEndpointWithSecret } from '@pipevideo/contracts';
import { finishedEvent, publish, startTestService } from './service';

async function main() {
  const [databaseUrl, dbName, receiverUrl, count] = process.argv.slice(2);
  const db = { url: databaseUrl, name: dbName, drop: async () => undefined };
  const svc = await startTestService(db, { concurrency: 2, timeoutMs: 3000, leaseMarginMs: 500 });
  const orgId = 'org_crash';
  const ep = await svc.ctx.messaging.rpc.request(RPC.webhooks.endpointCreate, { orgId, url: receiverUrl });
  for (let i = 0; i < Number(count); i++) await publish(svc, finishedEvent(orgId));
  process.stdout.write(`READY ${JSON.stringify({ orgId, endpointId: ep.id, secret: ep.secret })}\n`);
}

main().catch((err) => {
  process.stderr.write(`crash child failed: ${String(err)}\n`);
  process.exit(1);
});
