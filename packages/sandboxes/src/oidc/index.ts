import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import type { OidcIssuerOptions } from './server';

export type { OidcIssuerOptions } from './server';

export interface RunningOidcSandbox {
  /** PIPEVIDEO_OIDC_ISSUER */
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * Starts the OIDC sandbox issuer in a child process (oidc-provider is ESM-only; a child keeps it out of
 * CommonJS test runners). It stops with its parent.
 */
export async function startOidcSandbox(o: Partial<OidcIssuerOptions> & { redirectUris: string[] }): Promise<RunningOidcSandbox> {
  const opts: OidcIssuerOptions = { clientId: 'pipevideo-dashboard', clientSecret: 'sandbox-oidc-client-secret', ...o };
  // The compiled script, also when this module runs from src/ (jest): <package>/dist/oidc/main.js.
  const child = fork(resolve(__dirname, '../../dist/oidc/main.js'), [], { env: { ...process.env, PIPEVIDEO_OIDC_SANDBOX: JSON.stringify(opts) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const issuer = await new Promise<string>((resolve, reject) => {
    // oidc-provider is loaded (ESM) and a signing key made in the child: seconds on a loaded machine.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('OIDC sandbox did not start within 90 s'));
    }, 90_000);
    child.once('message', (m: any) => {
      clearTimeout(timer);
      if (m?.ready) resolve(m.issuer);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`OIDC sandbox exited with ${code}`));
    });
  });
  return {
    issuer,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    close: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
