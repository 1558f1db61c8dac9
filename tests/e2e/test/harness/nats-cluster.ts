import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './http';
import { reservePorts } from './platform';

export interface NatsCluster {
  /** Client URLs of every server, comma-separated (what NATS_URL takes). */
  url: string;
  /** SIGKILLs server i (0-based). */
  kill(i: number): Promise<void>;
  /** Starts server i again, on its own JetStream store. */
  start(i: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real NATS cluster on loopback: `size` nats-server processes with cluster routes to each other and
 * JetStream (each its own store), as the official Helm chart runs three. Waits until every server
 * answers and JetStream has a meta leader.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pv-nats-cluster-'));
  const base = await reservePorts(size * 3);
  const client = (i: number) => base + i;
  const route = (i: number) => base + size + i;
  const monitor = (i: number) => base + 2 * size + i;
  const procs: Array<ChildProcess | undefined> = [];
  const routes = Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${route(i)}`).join(',');
  const start = async (i: number) => {
    const child = spawn('nats-server', [
      '-a', '127.0.0.1', '-p', String(client(i)), '-m', String(monitor(i)), '-n', `pv-n${i}`,
      '-js', '-sd', join(dir, `n${i}`), '--cluster_name', 'pv', '--cluster', `nats://127.0.0.1:${route(i)}`, '--routes', routes,
    ], { stdio: 'ignore' });
    procs[i] = child;
    await waitFor(`nats-server ${i}`, async () => (await fetch(`http://127.0.0.1:${monitor(i)}/healthz`)).ok, 30_000, 200);
  };
  const kill = async (i: number) => {
    const child = procs[i];
    if (!child || child.exitCode !== null || child.signalCode) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
  };
  await Promise.all(Array.from({ length: size }, (_, i) => start(i)));
  // JetStream needs a meta leader before a stream with 3 replicas can be created.
  await waitFor('JetStream meta leader', async () => {
    const jsz = (await (await fetch(`http://127.0.0.1:${monitor(0)}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
    return !!jsz?.meta_cluster?.leader;
  }, 60_000, 300);
  return {
    url: Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${client(i)}`).join(','),
    kill,
    start,
    async stop() {
      await Promise.all(Array.from({ length: size }, (_, i) => kill(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
