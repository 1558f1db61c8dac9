import { startFalSandbox } from './fal';
import { startFramerateSandbox } from './framerate';
import { startReplicateSandbox } from './replicate';
import type { RunningSandbox, SandboxSet, StartAllOptions } from './types';
import { startVercelGatewaySandbox } from './vercel-gateway';

/** Starts the four sandboxes (fal = basePort, replicate = +1, vercel-gateway = +2, framerate = +3; 0 = random). */
export async function startAllSandboxes(o: StartAllOptions = {}): Promise<SandboxSet> {
  const port = (offset: number) => (o.basePort ? o.basePort + offset : 0);
  const common = { host: o.host, ...(o.jobDurationMs !== undefined ? { jobDurationMs: o.jobDurationMs } : {}) };
  const started: RunningSandbox[] = [];
  try {
    const fal = await startFalSandbox({ ...common, port: port(0), apiKey: o.apiKeys?.fal });
    started.push(fal);
    const replicate = await startReplicateSandbox({ ...common, port: port(1), apiKey: o.apiKeys?.replicate });
    started.push(replicate);
    const vercelGateway = await startVercelGatewaySandbox({ ...common, port: port(2), apiKey: o.apiKeys?.['vercel-gateway'] });
    started.push(vercelGateway);
    const framerate = await startFramerateSandbox({ ...common, port: port(3), apiKey: o.apiKeys?.framerate });
    started.push(framerate);
    return {
      fal,
      replicate,
      vercelGateway,
      framerate,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    throw e;
  }
}
