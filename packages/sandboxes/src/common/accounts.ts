import { randomBytes } from 'node:crypto';

/**
 * Provider accounts a sandbox knows besides the platform's own: a real provider has one account per
 * customer, each with its own API token, user id and (Replicate) webhook signing secret. Tests add an
 * account (`POST /__sandbox/accounts`) to play an org that brings its own key; every request names the
 * account whose token it carried in the request log (`account`), never the token.
 */
export interface SandboxAccount {
  /** Name shown in the request log and answered by the account endpoints. */
  name: string;
  /** The token a client authenticates with. */
  key: string;
  /** fal: the user id callbacks are signed for. */
  userId: string;
  /** Replicate: the account's `whsec_…` webhook signing secret. */
  webhookSecret: string;
}

/** The platform's own account has this name in the log. */
export const PLATFORM_ACCOUNT = 'platform';

export class AccountBook {
  private readonly byKey = new Map<string, SandboxAccount>();

  constructor(platform: SandboxAccount) {
    this.byKey.set(platform.key, platform);
  }

  /** Adds (or replaces) an account; answers an error sentence for bad input. */
  add(input: unknown): SandboxAccount | string {
    const o = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
    const name = typeof o?.name === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(o.name) ? o.name : undefined;
    const key = typeof o?.key === 'string' && o.key.length >= 8 && o.key.length <= 512 ? o.key : undefined;
    if (!name || !key) return 'body must be {"name": "<1-64 of A-Za-z0-9_.->", "key": "<8-512 characters>"}';
    if (name === PLATFORM_ACCOUNT) return `"${PLATFORM_ACCOUNT}" is the sandbox's own account`;
    const account: SandboxAccount = { name, key, userId: `${name}-user`, webhookSecret: `whsec_${randomBytes(24).toString('base64')}` };
    for (const [k, a] of this.byKey) if (a.name === name) this.byKey.delete(k);
    this.byKey.set(key, account);
    return account;
  }

  byToken(token: string | undefined): SandboxAccount | undefined {
    return token === undefined ? undefined : this.byKey.get(token);
  }
}
