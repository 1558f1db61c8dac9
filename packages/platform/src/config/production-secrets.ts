/**
 * Secure by default: a service started in production (NODE_ENV=production) refuses to start without
 * the secrets it needs, instead of warning and running open (an operator API with no token, webhook
 * signing secrets stored in clear, provider callbacks nobody can verify). Development, tests and
 * embedded mode (NODE_ENV unset or not "production") keep their conveniences.
 */
export interface RequiredSecret {
  /** The environment variable. */
  name: string;
  /** What it protects, for the message. */
  why: string;
  /** Required only when this holds (e.g. a provider that is configured); default: always. */
  when?: (env: NodeJS.ProcessEnv) => boolean;
}

/** The required secrets that are missing (empty outside production). */
export function missingProductionSecrets(required: readonly RequiredSecret[], env: NodeJS.ProcessEnv = process.env): RequiredSecret[] {
  if (env.NODE_ENV !== 'production') return [];
  return required.filter((s) => (s.when ? s.when(env) : true) && !(env[s.name] ?? '').trim());
}

/** One sentence naming every missing secret and what it protects, or null when none is missing. */
export function productionSecretsProblem(service: string, required: readonly RequiredSecret[], env: NodeJS.ProcessEnv = process.env): string | null {
  const missing = missingProductionSecrets(required, env);
  if (!missing.length) return null;
  return `${service} refuses to start in production without ${missing.map((s) => `${s.name} (${s.why})`).join(', ')}: set ${missing.length === 1 ? 'it' : 'them'}, or unset NODE_ENV=production for a local run.`;
}
