import { isConnectivityError } from '@pipevideo/platform';
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  applyDecorators, CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata, UseFilters, UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ErrorCode } from '@pipevideo/contracts';
import type { AuthFailure, Principal } from '../auth/key-authenticator';
import type { Role } from '../accounts/roles';
import type { Session } from '../accounts/session-store';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { ApiError, forbidden, notFoundError, unauthorized } from './api-error';
import { GatewayExceptionFilter } from './exception.filter';
import { limitMessage, ScopedDecision } from '../ratelimit/request-limits';

export type AuthMode = 'standard' | 'management' | 'operator' | 'public' | 'session';
const AUTH_MODE = 'pipevideo:auth-mode';
const SESSION_ROLE = 'pipevideo:session-role';

/** Every gateway controller: our error shapes and our auth guard. */
export const GatewayController = () => applyDecorators(UseFilters(GatewayExceptionFilter), UseGuards(AuthGuard));

/** A standard API key (generations, responses, usage, billing, webhooks). */
export const StandardKey = () => applyDecorators(SetMetadata(AUTH_MODE, 'standard'), ApiBearerAuth('apiKey'));
/** A management API key (key management only). */
export const ManagementKey = () => applyDecorators(SetMetadata(AUTH_MODE, 'management'), ApiBearerAuth('managementKey'));
/** `Authorization: Bearer $PIPEVIDEO_ADMIN_TOKEN`. */
export const OperatorToken = () => applyDecorators(SetMetadata(AUTH_MODE, 'operator'), ApiSecurity('operatorToken'));
export const Public = () => SetMetadata(AUTH_MODE, 'public');
/** A signed-in person only (session cookie; CSRF token on state-changing calls): /v1/orgs, /v1/invites, /auth/signout…. */
export const SessionOnly = () => applyDecorators(SetMetadata(AUTH_MODE, 'session'), ApiSecurity('sessionCookie'));
/**
 * A key route that also accepts the dashboard's session cookie + `X-Pipevideo-Org`, for people with at
 * least `role` in that org (accounts/roles.ts). Without it a route takes API keys only. Method-level
 * overrides class-level.
 */
export const SessionRole = (role: Role) => applyDecorators(SetMetadata(SESSION_ROLE, role), ApiSecurity('sessionCookie'));

export interface AuthedRequest {
  principal?: Principal;
  /** The signed-in person of a session-only route. */
  account?: { session: Session; sessionId: string };
  headers: Record<string, string | string[] | undefined>;
  /** The client address (Fastify: the socket's, or X-Forwarded-For's when the peer is a trusted proxy). */
  ip?: string;
}

type Reply = { header(k: string, v: string | number): unknown };

export const CurrentPrincipal = createParamDecorator((_d: unknown, ctx: ExecutionContext): Principal => {
  const p = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!p) throw new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, 'no principal on an authenticated route');
  return p;
});

/** The signed-in person on a @SessionOnly() route. */
export const CurrentSession = createParamDecorator((_d: unknown, ctx: ExecutionContext): { session: Session; sessionId: string } => {
  const a = ctx.switchToHttp().getRequest<AuthedRequest>().account;
  if (!a) throw new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, 'no session on a session route');
  return a;
});

const FAILURE_MESSAGES: Record<Exclude<AuthFailure, 'suspended'>, string> = {
  missing: "Missing API key. Send it as 'Authorization: Bearer pv_…'.",
  malformed: "Malformed Authorization header or API key. Expected 'Authorization: Bearer pv_…'.",
  unknown: 'Invalid API key.',
  revoked: 'This API key has been revoked. Create or use another key.',
  expired: 'This API key has expired (it was rotated). Use the key that replaced it.',
};

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Authenticates (API key or operator token), refuses suspended orgs (403), applies the shared per-key and
 * per-org rate limits (per-IP for failed authentications) with X-RateLimit-* headers, and checks the key
 * kind. The decisions live in KeyAuthenticator and RequestLimits.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const mode = this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [ctx.getHandler(), ctx.getClass()]) ?? 'public';
    const req = ctx.switchToHttp().getRequest<AuthedRequest & { method: string; url: string }>();
    const reply = ctx.switchToHttp().getResponse<Reply>();
    if (mode === 'public') {
      // No key to count against: the client IP's budget (catalog, rankings, OpenAPI, the Stripe webhook —
      // Stripe retries a 429 with backoff).
      // The catalog stays readable while the gateway's database is not (it is the router's): no decision, no limit.
      await this.limit(reply, () => this.rt.limits.forIp(req.ip ?? 'unknown').catch((err) => (isConnectivityError(err) ? undefined : Promise.reject(err))));
      return true;
    }
    if (mode === 'operator') return this.operator(req);
    if (mode === 'session') {
      // People's own routes spend the client IP's budget (as calls without a key do).
      await this.limit(reply, () => this.rt.limits.forIp(req.ip ?? 'unknown'));
      req.account = await this.rt.sessionPrincipals.session(req.method, req.headers).catch((err) => {
        throw dbUnavailable(err);
      });
      return true;
    }
    // The dashboard: no API key, a session cookie, on a route people may call.
    const sessionRole = this.reflector.getAllAndOverride<Role | undefined>(SESSION_ROLE, [ctx.getHandler(), ctx.getClass()]);
    if (sessionRole && !req.headers.authorization && this.rt.accounts.cookies.read(req.headers)) {
      const p = await this.rt.sessionPrincipals.principal(req.method, req.headers, sessionRole).catch((err) => {
        throw dbUnavailable(err);
      });
      await this.limit(reply, () => this.rt.limits.forKey(p));
      req.principal = p;
      return true;
    }

    const result = await this.rt.auth.authenticate(req.headers.authorization).catch((err) => {
      throw dbUnavailable(err);
    });
    if (!result.ok) {
      this.rt.metrics.authFailures.inc({ reason: result.reason });
      if (result.reason === 'suspended') {
        throw forbidden(
          `This organization is suspended${result.detail ? ` (${result.detail})` : ''}: its API keys are refused until the operator resumes it. Contact support.`,
        );
      }
      // Guessing keys costs a lookup each: failed authentications spend the client IP's budget.
      await this.limit(reply, () => this.rt.limits.forIp(req.ip ?? 'unknown'));
      throw unauthorized(FAILURE_MESSAGES[result.reason]);
    }
    const p = result.principal;
    await this.limit(reply, () => this.rt.limits.forKey(p));
    if (p.kind !== mode) {
      this.rt.metrics.authFailures.inc({ reason: 'wrong_kind' });
      throw forbidden(
        mode === 'management'
          ? 'This endpoint needs a management API key; standard keys cannot manage keys. Ask your operator for a management key.'
          : 'Management API keys can only manage API keys (/v1/keys). Use a standard API key for this endpoint.',
      );
    }
    req.principal = p;
    return true;
  }

  /** Applies a limit: X-RateLimit-* headers on the answer, 429 with Retry-After when it is spent. */
  private async limit(reply: Reply, decide: () => Promise<ScopedDecision | undefined>): Promise<void> {
    const rate = await decide().catch((err) => {
      throw dbUnavailable(err);
    });
    if (!rate) return;
    reply.header('X-RateLimit-Limit', rate.limit);
    reply.header('X-RateLimit-Remaining', rate.remaining);
    reply.header('X-RateLimit-Reset', rate.resetAt);
    if (rate.allowed) return;
    this.rt.metrics.rateLimited.inc({ limit: rate.scope });
    reply.header('Retry-After', rate.retryAfterSeconds);
    throw new ApiError(ErrorCode.TOO_MANY_REQUESTS, limitMessage(rate), { retryAfterSeconds: rate.retryAfterSeconds });
  }

  private operator(req: AuthedRequest & { method: string; url: string }): boolean {
    const token = this.rt.cfg.adminToken;
    // Disabled operator API: the routes do not exist as far as callers can tell.
    if (!token) throw notFoundError(`Cannot ${req.method} ${req.url.split('?')[0]}`);
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    // Compare fixed-length digests: constant time whatever the presented length.
    if (!m || !timingSafeEqual(digest(m[1]), digest(token))) {
      this.rt.metrics.authFailures.inc({ reason: 'operator' });
      throw unauthorized("Invalid or missing operator token. Send 'Authorization: Bearer $PIPEVIDEO_ADMIN_TOKEN'.");
    }
    return true;
  }
}

function dbUnavailable(err: unknown): unknown {
  // Only a database that cannot be reached is a 503; anything else is a bug and stays one (logged, 500).
  if (err instanceof ApiError || !isConnectivityError(err)) return err;
  return new ApiError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway cannot reach its database right now. Retry shortly.');
}
