import { FAULT_NAMES, type FaultName, type FaultRule, type SandboxName } from '../types';

/** Default hold time of the `slow` fault. */
export const DEFAULT_SLOW_MS = 5000;

/** `[fal:down]`, `[any:slow=250]`, `[vercel-gateway:moderation]` … anywhere in the request body. */
const MARKER = /\[(fal|replicate|vercel-gateway|framerate|any):([a-z_]+)(?:=(\d+))?\]/g;

export interface MarkerFault {
  fault: FaultName;
  /** The marker's number: ms for `slow` / `slow_job`, a percentage for `flaky`. */
  delayMs?: number;
}

/** Default share of failing jobs of the `flaky` fault. */
export const DEFAULT_FLAKY_PERCENT = 50;

export function isFaultName(v: unknown): v is FaultName {
  return typeof v === 'string' && (FAULT_NAMES as readonly string[]).includes(v);
}

/** Prompt markers addressed to `sandbox` (or to `any`). Unknown fault names are ignored. */
export function parseMarkers(sandbox: SandboxName, text: string): MarkerFault[] {
  const out: MarkerFault[] = [];
  for (const m of text.matchAll(MARKER)) {
    if (m[1] !== sandbox && m[1] !== 'any') continue;
    if (!isFaultName(m[2])) continue;
    out.push({ fault: m[2], ...(m[3] !== undefined ? { delayMs: Number(m[3]) } : {}) });
  }
  return out;
}

/** Validates a FaultRule received over HTTP; returns an error message or the normalised rule. */
export function validateFaultRule(v: unknown): FaultRule | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'body must be a FaultRule object';
  const r = v as Record<string, unknown>;
  if (!isFaultName(r.fault)) return `fault must be one of ${FAULT_NAMES.join(', ')}`;
  if (r.times !== undefined && (!Number.isInteger(r.times) || (r.times as number) < 1)) return 'times must be a positive integer';
  if (r.modelId !== undefined && typeof r.modelId !== 'string') return 'modelId must be a string';
  if (r.delayMs !== undefined && (typeof r.delayMs !== 'number' || r.delayMs < 0)) return 'delayMs must be a non-negative number';
  if (r.percent !== undefined && (typeof r.percent !== 'number' || r.percent < 0 || r.percent > 100)) return 'percent must be a number from 0 to 100';
  return {
    fault: r.fault,
    ...(r.percent !== undefined ? { percent: r.percent as number } : {}),
    ...(r.times !== undefined ? { times: r.times as number } : {}),
    ...(r.modelId !== undefined ? { modelId: r.modelId as string } : {}),
    ...(r.delayMs !== undefined ? { delayMs: r.delayMs as number } : {}),
  };
}

interface RuleState {
  rule: FaultRule;
  remaining: number; // Infinity = until cleared
}

/** Faults that matched one submit: from prompt markers and from control rules (not yet consumed). */
export class MatchedFaults {
  constructor(
    private readonly markers: MarkerFault[],
    private readonly rules: RuleState[],
    private readonly book: FaultBook,
  ) {}

  has(f: FaultName): boolean {
    return this.markers.some((m) => m.fault === f) || this.rules.some((r) => r.rule.fault === f);
  }

  delayMs(f: FaultName): number | undefined {
    const m = this.markers.find((x) => x.fault === f && x.delayMs !== undefined);
    if (m) return m.delayMs;
    return this.rules.find((r) => r.rule.fault === f && r.rule.delayMs !== undefined)?.rule.delayMs;
  }

  /** `flaky`'s share of failing jobs: the marker's number (`[fal:flaky=30]`) or the rule's `percent`. */
  percent(f: FaultName): number | undefined {
    const m = this.markers.find((x) => x.fault === f && x.delayMs !== undefined);
    if (m) return m.delayMs;
    return this.rules.find((r) => r.rule.fault === f && r.rule.percent !== undefined)?.rule.percent;
  }

  /** Marks the faults that actually took effect: control rules count one use each. */
  commit(applied: Iterable<FaultName>): void {
    for (const f of applied) {
      const r = this.rules.find((x) => x.rule.fault === f);
      if (r) this.book.use(r);
    }
  }
}

/** The control-endpoint fault rules of one sandbox. */
export class FaultBook {
  private rules: RuleState[] = [];

  constructor(private readonly sandbox: SandboxName) {}

  add(rule: FaultRule): void {
    this.rules.push({ rule: { ...rule }, remaining: rule.times ?? Infinity });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({
      ...r.rule,
      ...(Number.isFinite(r.remaining) ? { times: r.remaining } : {}),
    }));
  }

  /** Faults for one submit request: markers in `text` plus rules matching `modelIds` (rules for `exclude` skipped). */
  match(text: string, modelIds: (string | undefined)[], exclude: FaultName[] = []): MatchedFaults {
    const ids = modelIds.filter((x): x is string => !!x);
    const rules = this.rules.filter(
      (r) => r.remaining > 0 && !exclude.includes(r.rule.fault) && (r.rule.modelId === undefined || ids.includes(r.rule.modelId)),
    );
    return new MatchedFaults(parseMarkers(this.sandbox, text), rules, this);
  }

  /** Takes one use of the first active rule for `fault` (any model). */
  take(fault: FaultName): FaultRule | undefined {
    const r = this.rules.find((x) => x.remaining > 0 && x.rule.fault === fault);
    if (!r) return undefined;
    this.use(r);
    return r.rule;
  }

  use(r: RuleState): void {
    r.remaining -= 1;
    if (r.remaining <= 0) this.rules = this.rules.filter((x) => x !== r);
  }
}
