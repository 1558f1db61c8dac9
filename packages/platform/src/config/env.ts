import { readVariable } from './variables';

/**
 * Typed readers for environment configuration. Each value is parsed by its variable's zod schema in
 * variables.ts (an invalid value throws a ConfigError naming the variable); empty = unset = fallback.
 */
export function envStr(name: string, fallback: string): string {
  const v = readVariable<unknown>(name);
  return v === undefined ? fallback : String(v);
}
export function envInt(name: string, fallback: number): number {
  const v = readVariable<unknown>(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${String(v)}"`);
  return n;
}
export function envBool(name: string, fallback: boolean): boolean {
  const v = readVariable<unknown>(name);
  if (v === undefined) return fallback;
  return typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(String(v).toLowerCase());
}
