import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  OrgMsg, ProviderKeyDeleteMsg, ProviderKeyPutMsg, RPC, validateMessage, type ProviderKeyDeleteReply, type ProviderKeyListReply, type ProviderKeysActiveReply,
  type ProviderKeyView,
} from '@pipevideo/contracts';
import { PROVIDERS_CORE, type ProvidersCore } from '../providers-core';

/** NATS handlers of an org's own provider keys (bring your own key): validate, delegate. */
@Controller()
export class KeysRpcController {
  constructor(@Inject(PROVIDERS_CORE) private readonly core: ProvidersCore) {}

  @MessagePattern(RPC.providers.keyPut)
  put(@Payload() data: unknown): Promise<ProviderKeyView> {
    const msg = validateMessage(ProviderKeyPutMsg, data);
    return this.core.keys.put(msg.orgId, msg.provider, msg.key);
  }

  @MessagePattern(RPC.providers.keyList)
  list(@Payload() data: unknown): Promise<ProviderKeyListReply> {
    return this.core.keys.list(validateMessage(OrgMsg, data).orgId);
  }

  @MessagePattern(RPC.providers.keyDelete)
  delete(@Payload() data: unknown): Promise<ProviderKeyDeleteReply> {
    const msg = validateMessage(ProviderKeyDeleteMsg, data);
    return this.core.keys.delete(msg.orgId, msg.provider);
  }

  @MessagePattern(RPC.providers.keyActive)
  async active(@Payload() data: unknown): Promise<ProviderKeysActiveReply> {
    return { providers: await this.core.keys.active(validateMessage(OrgMsg, data).orgId) };
  }
}
