import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { NewOrgDto, InviteDto, RoleDto } from '../validation/accounts.dto';
import type { Session } from '../accounts/session-store';
import { normalEmail } from '../accounts/tokens';
import { badRequestError } from '../http/api-error';
import { CurrentSession, GatewayController, SessionOnly } from '../http/auth';
import { checkId } from '../http/params';
import { ApiCreated, ApiErrors, ApiOk } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { requireJsonObject, validateDto } from '../validation/validate';

type Me = { session: Session };
const ERRORS = [401, 403, 429, 503];
const page = <T>(data: T[]) => ({ object: 'list', data, has_more: false, next_cursor: null });

/**
 * Organizations for people (session cookie; X-CSRF-Token on changes). Org ids are in the path; an org
 * the caller does not belong to is a 404. Roles: accounts/roles.ts.
 */
@ApiTags('Organizations')
@GatewayController()
@SessionOnly()
@Controller('v1')
export class OrgsController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Post('orgs')
  @ApiOperation({ summary: 'Create an organization; you are its owner' })
  @ApiBody({ type: NewOrgDto })
  @ApiCreated('MyOrganization')
  @ApiErrors(400, ...ERRORS)
  create(@CurrentSession() me: Me, @Body() body: unknown) {
    const dto = validateDto(NewOrgDto, requireJsonObject(body));
    return this.rt.accounts.members.createOrg(me.session.userId, dto.name);
  }

  @Get('orgs')
  @ApiOperation({ summary: 'Your organizations, with your role in each' })
  @ApiOk('MyOrganizationList')
  @ApiErrors(...ERRORS)
  async list(@CurrentSession() me: Me) {
    return page(await this.rt.accounts.members.orgsOf(me.session.userId));
  }

  @Get('orgs/:id/members')
  @ApiOperation({ summary: 'Members of an organization (any member may read)' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiOk('OrgMemberList')
  @ApiErrors(404, ...ERRORS)
  async members(@CurrentSession() me: Me, @Param('id') id: string) {
    await this.rt.accounts.members.requireRole(me.session.userId, checkId('org', id), 'member');
    return page(await this.rt.accounts.members.members(id));
  }

  @Patch('orgs/:id/members/:userId')
  @ApiOperation({ summary: "Change a member's role (owners only; an org keeps at least one owner)" })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiParam({ name: 'userId', example: 'usr_8f2kLm' })
  @ApiBody({ type: RoleDto })
  @ApiOk('OrgMember')
  @ApiErrors(400, 404, 409, ...ERRORS)
  setRole(@CurrentSession() me: Me, @Param('id') id: string, @Param('userId') userId: string, @Body() body: unknown) {
    const dto = validateDto(RoleDto, requireJsonObject(body));
    return this.rt.accounts.members.setRole(me.session.userId, checkId('org', id), userId, dto.role);
  }

  @Delete('orgs/:id/members/:userId')
  @ApiOperation({ summary: 'Remove a member (admins remove members, owners anyone; yourself: leave)' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiParam({ name: 'userId', example: 'usr_8f2kLm' })
  @ApiOk('OrgMember')
  @ApiErrors(404, 409, ...ERRORS)
  remove(@CurrentSession() me: Me, @Param('id') id: string, @Param('userId') userId: string) {
    return this.rt.accounts.members.remove(me.session.userId, checkId('org', id), userId);
  }

  @Post('orgs/:id/leave')
  @HttpCode(200)
  @ApiOperation({ summary: 'Leave an organization (the last owner cannot: make someone else owner first)' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiOk('OrgMember')
  @ApiErrors(404, 409, ...ERRORS)
  leave(@CurrentSession() me: Me, @Param('id') id: string) {
    return this.rt.accounts.members.remove(me.session.userId, checkId('org', id), me.session.userId);
  }

  @Post('orgs/:id/invites')
  @ApiOperation({ summary: 'Invite someone by email (admins and owners); the mail holds a link to /invites/{token}' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiBody({ type: InviteDto })
  @ApiCreated('OrgInvite')
  @ApiErrors(400, 404, ...ERRORS)
  invite(@CurrentSession() me: Me, @Param('id') id: string, @Body() body: unknown) {
    const dto = validateDto(InviteDto, requireJsonObject(body));
    const email = normalEmail(dto.email);
    if (!email) throw badRequestError('email must be an email address', [{ field: 'email', message: 'must be an email address' }]);
    return this.rt.accounts.invites.create(me.session.userId, checkId('org', id), email, dto.role ?? 'member');
  }

  @Get('orgs/:id/invites')
  @ApiOperation({ summary: 'Invitations of an organization (admins and owners)' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiOk('OrgInviteList')
  @ApiErrors(404, ...ERRORS)
  async invites(@CurrentSession() me: Me, @Param('id') id: string) {
    return page(await this.rt.accounts.invites.list(me.session.userId, checkId('org', id)));
  }

  @Delete('orgs/:id/invites/:inviteId')
  @ApiOperation({ summary: 'Revoke a pending invitation (admins and owners)' })
  @ApiParam({ name: 'id', example: 'org_8f2kLm' })
  @ApiParam({ name: 'inviteId', example: 'inv_8f2kLm' })
  @ApiOk('OrgInvite')
  @ApiErrors(404, ...ERRORS)
  revokeInvite(@CurrentSession() me: Me, @Param('id') id: string, @Param('inviteId') inviteId: string) {
    return this.rt.accounts.invites.revoke(me.session.userId, checkId('org', id), inviteId);
  }

  @Get('invites/:token')
  @ApiOperation({ summary: 'What an invitation link offers (to the address it was sent to)' })
  @ApiParam({ name: 'token', description: 'The token of the invitation link' })
  @ApiOk('OrgInvitePreview')
  @ApiErrors(404, ...ERRORS)
  preview(@CurrentSession() me: Me, @Param('token') token: string) {
    return this.rt.accounts.invites.preview(token, { id: me.session.userId, email: me.session.email });
  }

  @Post('invites/:token/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invitation: join the organization (signed in as the invited address)' })
  @ApiParam({ name: 'token', description: 'The token of the invitation link' })
  @ApiOk('MyOrganization')
  @ApiErrors(404, ...ERRORS)
  accept(@CurrentSession() me: Me, @Param('token') token: string) {
    return this.rt.accounts.invites.accept(token, { id: me.session.userId, email: me.session.email });
  }
}
