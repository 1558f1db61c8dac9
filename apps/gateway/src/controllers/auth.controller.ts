import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EmailStartDto, EmailVerifyDto } from '../validation/accounts.dto';
import type { Session } from '../accounts/session-store';
import type { User } from '../accounts/users';
import { ApiError, notFoundError } from '../http/api-error';
import { AuthedRequest, CurrentSession, GatewayController, Public, SessionOnly } from '../http/auth';
import { ApiErrors, ApiOk } from '../openapi/decorators';
import { jsonBody } from '../openapi/response-schemas';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { requireJsonObject, validateDto } from '../validation/validate';
import { ErrorCode } from '@pipevideo/contracts';

type Reply = { header(k: string, v: string | string[]): unknown };
type Req = AuthedRequest & { url: string };

/** Where a failed sign-in link or OIDC callback lands: the dashboard's sign-in page, with a reason. */
const SIGN_IN_PAGE = '/signin';

/**
 * Human sign-in (docs/dashboard-api.md): email magic links, OpenID Connect, the session and sign-out.
 * The decisions live in accounts/; this is the HTTP shell (cookies, redirects).
 */
@ApiTags('Accounts')
@GatewayController()
@Controller('auth')
export class AuthController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get('methods')
  @Public()
  @ApiOperation({ summary: 'Sign-in methods this server offers (email link, OIDC issuer)' })
  @ApiOk('SignInMethods')
  @ApiErrors(429)
  methods() {
    const a = this.rt.accounts;
    return { object: 'sign_in_methods', email: a.mailer.configured, oidc: a.oidc ? { name: a.oidc.displayName, start_url: '/auth/oidc/start' } : null };
  }

  @Post('email/start')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a sign-in link (signs up a new address)',
    description: 'Always the same 202 whether or not the address has an account. Rate limited per address and per client IP (429).',
  })
  @ApiBody({ type: EmailStartDto })
  @ApiResponse({ status: 202, description: 'Accepted', ...jsonBody('EmailSignInStarted') })
  @ApiErrors(400, 429, 503)
  async emailStart(@Body() body: unknown, @Req() req: Req) {
    const dto = validateDto(EmailStartDto, requireJsonObject(body));
    await this.rt.accounts.email.start(dto.email, dto.return_to, req.ip ?? 'unknown');
    return { object: 'email_sign_in', status: 'sent', message: 'If this address can receive mail, a sign-in link is on its way. It works once, for a limited time.' };
  }

  @Get('email/verify')
  @Public()
  @HttpCode(303)
  @ApiOperation({
    summary: 'The link of the sign-in mail: starts a session and redirects',
    description: `303 to the return_to given at start (a same-origin path) or "/", with a new session cookie. An invalid, used or expired link: 303 to ${SIGN_IN_PAGE}?error=invalid_link.`,
  })
  @ApiQuery({ name: 'token', required: true })
  @ApiResponse({ status: 303, description: 'See Other (Location: where to go next)', ...jsonBody('Redirect') })
  @ApiErrors(429)
  async emailVerifyLink(@Query('token') token: unknown, @Req() req: Req, @Res({ passthrough: true }) reply: Reply) {
    const r = await this.rt.accounts.email.verify(token, req.ip ?? 'unknown');
    if (!r) return this.redirect(reply, `${SIGN_IN_PAGE}?error=invalid_link`);
    await this.signIn(req, reply, r.user, 'email');
    return this.redirect(reply, r.returnTo ?? '/');
  }

  @Post('email/verify')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with the token of a sign-in link (for clients that read it themselves)', description: 'Sets the session cookie; 400 when the token is invalid, used or expired.' })
  @ApiBody({ type: EmailVerifyDto })
  @ApiOk('SignedIn')
  @ApiErrors(400, 429)
  async emailVerify(@Body() body: unknown, @Req() req: Req, @Res({ passthrough: true }) reply: Reply) {
    const dto = validateDto(EmailVerifyDto, requireJsonObject(body));
    const r = await this.rt.accounts.email.verify(dto.token, req.ip ?? 'unknown');
    if (!r) throw new ApiError(ErrorCode.BAD_REQUEST, 'This sign-in link is invalid, was used already or has expired. Ask for a new one.');
    await this.signIn(req, reply, r.user, 'email');
    return { object: 'signed_in', user: { id: r.user.id, email: r.user.email }, return_to: r.returnTo ?? '/' };
  }

  @Get('oidc/start')
  @Public()
  @HttpCode(302)
  @ApiOperation({ summary: 'Start signing in with the configured OpenID Connect issuer (302 to it)', description: '404 when no issuer is configured.' })
  @ApiQuery({ name: 'return_to', required: false, description: 'Same-origin path to land on afterwards.' })
  @ApiResponse({ status: 302, description: 'Found (Location: the issuer’s authorization endpoint)', ...jsonBody('Redirect') })
  @ApiErrors(404, 429, 503)
  async oidcStart(@Query('return_to') returnTo: unknown, @Res({ passthrough: true }) reply: Reply) {
    if (!this.rt.accounts.oidc) throw notFoundError('Sign-in with OpenID Connect is not configured on this server (PIPEVIDEO_OIDC_ISSUER).');
    const { url, state } = await this.rt.accounts.oidc.start(returnTo);
    reply.header('set-cookie', this.rt.accounts.cookies.oidcState(state));
    return this.redirect(reply, url);
  }

  @Get('oidc/callback')
  @Public()
  @HttpCode(303)
  @ApiOperation({ summary: 'Where the OpenID Connect issuer sends the browser back', description: `303 to the return_to or "/" with a new session; on failure 303 to ${SIGN_IN_PAGE}?error=<reason>.` })
  @ApiResponse({ status: 303, description: 'See Other', ...jsonBody('Redirect') })
  @ApiErrors(404, 429, 503)
  async oidcCallback(@Req() req: Req, @Res({ passthrough: true }) reply: Reply) {
    const oidc = this.rt.accounts.oidc;
    if (!oidc) throw notFoundError('Sign-in with OpenID Connect is not configured on this server (PIPEVIDEO_OIDC_ISSUER).');
    const publicUrl = this.rt.cfg.accounts.publicUrl!;
    const r = await oidc.finish(new URL(req.url, `${publicUrl}/`), this.rt.accounts.cookies.read(req.headers, this.rt.accounts.cookies.oidcName));
    if ('error' in r) {
      reply.header('set-cookie', this.rt.accounts.cookies.clearOidcState());
      return this.redirect(reply, `${SIGN_IN_PAGE}?error=${r.error}`);
    }
    await this.signIn(req, reply, r.user, 'oidc', [this.rt.accounts.cookies.clearOidcState()]);
    return this.redirect(reply, r.returnTo ?? '/');
  }

  @Get('session')
  @SessionOnly()
  @ApiOperation({ summary: 'The signed-in person, their organizations (with roles) and the CSRF token for state-changing calls', description: '401 when not signed in.' })
  @ApiOk('AuthSession')
  @ApiErrors(401, 429, 503)
  async session(@CurrentSession() s: { session: Session }) {
    return {
      object: 'session',
      user: { id: s.session.userId, email: s.session.email },
      orgs: (await this.rt.accounts.members.orgsOf(s.session.userId)).map((o) => ({ id: o.id, name: o.name, role: o.role })),
      csrf_token: s.session.csrfToken,
      method: s.session.method,
    };
  }

  @Post('signout')
  @SessionOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign out of this session (X-CSRF-Token required)' })
  @ApiOk('SignedOut')
  @ApiErrors(401, 403, 429, 503)
  async signOut(@CurrentSession() s: { sessionId: string }, @Res({ passthrough: true }) reply: Reply) {
    await this.rt.accounts.sessions.destroy(s.sessionId);
    reply.header('set-cookie', this.rt.accounts.cookies.clearSession());
    return { object: 'signed_out', sessions_ended: 1 };
  }

  @Post('signout-everywhere')
  @SessionOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign out of every session of this person, on every device (X-CSRF-Token required)' })
  @ApiOk('SignedOut')
  @ApiErrors(401, 403, 429, 503)
  async signOutEverywhere(@CurrentSession() s: { session: Session }, @Res({ passthrough: true }) reply: Reply) {
    const n = await this.rt.accounts.sessions.destroyAllOf(s.session.userId);
    reply.header('set-cookie', this.rt.accounts.cookies.clearSession());
    return { object: 'signed_out', sessions_ended: n };
  }

  /** A new session (new id: whatever cookie the browser brought is ended, never adopted) and its cookie. */
  private async signIn(req: Req, reply: Reply, user: User, method: 'email' | 'oidc', extraCookies: string[] = []) {
    const previous = this.rt.accounts.cookies.read(req.headers);
    const id = await this.rt.accounts.sessions.create(user.id, method, previous);
    reply.header('set-cookie', [this.rt.accounts.cookies.session(id), ...extraCookies]);
  }

  private redirect(reply: Reply, location: string) {
    // Only our own relative paths, or the configured issuer's URL (oidc/start): never a URL from the request.
    reply.header('location', location);
    return { object: 'redirect', location };
  }
}
