import { Controller, Inject } from '@nestjs/common';
import {
  OrgMsg, ProviderKeyDeleteMsg, ProviderKeyPutMsg, RPC, type ProviderKeyDeleteReply, type ProviderKeyListReply, type ProviderKeysActiveReply,
  type ProviderKeyView,
} from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import { PROVIDERS_COMPOSITION, type ProvidersComposition } from '../providers.composition';

/** NATS handlers of an org's own provider keys (bring your own key): requests arrive decoded (@Handles); delegate. */
@Controller()
export class KeysRpcController {
  constructor(@Inject(PROVIDERS_COMPOSITION) private readonly core: ProvidersComposition) {}

  @Handles(RPC.providers.keyPut)
  put(msg: ProviderKeyPutMsg): Promise<ProviderKeyView> {
    return this.core.keys.put(msg.orgId, msg.provider, msg.key);
  }

  @Handles(RPC.providers.keyList)
  list(msg: OrgMsg): Promise<ProviderKeyListReply> {
    return this.core.keys.list(msg.orgId);
  }

  @Handles(RPC.providers.keyDelete)
  delete(msg: ProviderKeyDeleteMsg): Promise<ProviderKeyDeleteReply> {
    return this.core.keys.delete(msg.orgId, msg.provider);
  }

  @Handles(RPC.providers.keyActive)
  async active(msg: OrgMsg): Promise<ProviderKeysActiveReply> {
    return { providers: await this.core.keys.active(msg.orgId) };
  }
}
