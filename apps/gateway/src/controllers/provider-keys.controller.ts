import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { BYOK_PROVIDERS, RPC, type ByokProvider } from '@pipevideo/contracts';
import type { Principal } from '../auth/key-authenticator';
import { badRequestError } from '../http/api-error';
import { CurrentPrincipal, GatewayController, ManagementKey } from '../http/auth';
import { ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { requireJsonObject, validateDto } from '../validation/validate';

export class PutProviderKeyDto {
  @ApiProperty({ description: 'The provider API key of your own account (fal: the key; Replicate: the API token). Write-only.', maxLength: 512, writeOnly: true })
  @MaxLength(512, { message: 'must be at most 512 characters' })
  @IsNotEmpty({ message: 'must not be empty: paste your provider API key' })
  @IsString({ message: 'is required: your provider API key as a string' })
  key!: string;
}

const PROVIDERS = BYOK_PROVIDERS as readonly string[];

function providerParam(provider: string): ByokProvider {
  if (!PROVIDERS.includes(provider)) throw badRequestError(`provider: must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(provider.slice(0, 40))})`);
  return provider as ByokProvider;
}

/**
 * Bring your own key (issue 22): an organization's own fal or Replicate key. Routes on that provider
 * then run on it and are charged only the platform fee. Provider keys are credentials, so they are
 * managed with a management key, like API keys. The key is checked with the provider before it is
 * stored (encrypted, by the providers service) and never shown again.
 */
@ApiTags('Provider keys')
@GatewayController()
@ManagementKey()
@Controller('v1/provider-keys')
export class ProviderKeysController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get()
  @ApiOperation({ summary: "List the organization's provider keys (never the keys: provider, last four characters, when verified)" })
  @ApiOk('ProviderKeyList')
  @ApiErrors(403, ...KEYED_ERRORS)
  list(@CurrentPrincipal() p: Principal) {
    return this.rt.downstream.call(RPC.providers.keyList, { orgId: p.orgId });
  }

  @Put(':provider')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Store (or replace) your own key for a provider',
    description:
      'The key is checked with one cheap call to the provider (fal: its account endpoint; Replicate: `GET /v1/account`); a key the provider refuses is a 400 and nothing is stored. Stored encrypted, never shown again. From then on, routes on this provider run on your key and are charged only the platform fee.',
  })
  @ApiParam({ name: 'provider', enum: [...PROVIDERS] })
  @ApiBody({ type: PutProviderKeyDto })
  @ApiOk('ProviderKey')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  put(@CurrentPrincipal() p: Principal, @Param('provider') provider: string, @Body() body: unknown) {
    const slug = providerParam(provider);
    const dto = validateDto(PutProviderKeyDto, requireJsonObject(body));
    return this.rt.downstream.call(RPC.providers.keyPut, { orgId: p.orgId, provider: slug, key: dto.key });
  }

  @Delete(':provider')
  @ApiOperation({ summary: 'Delete your key for a provider: its routes run on the platform key again, at the normal price' })
  @ApiParam({ name: 'provider', enum: [...PROVIDERS] })
  @ApiOk('ProviderKeyDeleted')
  @ApiErrors(400, 403, 404, ...KEYED_ERRORS)
  remove(@CurrentPrincipal() p: Principal, @Param('provider') provider: string) {
    return this.rt.downstream.call(RPC.providers.keyDelete, { orgId: p.orgId, provider: providerParam(provider) });
  }
}
