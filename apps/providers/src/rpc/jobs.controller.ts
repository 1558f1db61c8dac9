import { Controller, Inject } from '@nestjs/common';
import { CancelJobMsg, RPC, SubmitJobMsg, type CancelJobResult, type SubmitJobResult } from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import { PROVIDERS_CORE, type ProvidersCore } from '../providers-core';

/** NATS handlers: requests arrive decoded (@Handles); delegate. */
@Controller()
export class JobsRpcController {
  constructor(@Inject(PROVIDERS_CORE) private readonly core: ProvidersCore) {}

  @Handles(RPC.providers.jobSubmit)
  submit(msg: SubmitJobMsg): Promise<SubmitJobResult> {
    return this.core.submit.execute(msg);
  }

  @Handles(RPC.providers.jobCancel)
  cancel(msg: CancelJobMsg): Promise<CancelJobResult> {
    return this.core.cancel.execute(msg.generationId, msg.attempt);
  }
}
