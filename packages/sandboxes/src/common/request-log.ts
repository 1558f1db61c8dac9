import type { SandboxRequestLog } from '../types';

/** Append-only in-memory log of what a sandbox received (and the callbacks it sent). */
export class RequestLog {
  private entries: SandboxRequestLog[] = [];

  add(e: SandboxRequestLog): SandboxRequestLog {
    this.entries.push(e);
    return e;
  }

  all(): SandboxRequestLog[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}
