import { Controller, Inject } from '@nestjs/common';
import { CancelJobMsg, RPC, SubmitJobMsg, type CancelJobResult, type SubmitJobResult } from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import { PROVIDERS_COMPOSITION, type ProvidersComposition } from '../providers.composition';

/** NATS handlers: requests arrive decoded (@Handles); delegate. */
@Controller()
export class JobsRpcController {
  constructor(@Inject(PROVIDERS_COMPOSITION) private readonly core: ProvidersComposition) {}

  @Handles(RPC.providers.jobSubmit)
  submit(msg: SubmitJobMsg): Promise<SubmitJobResult> {
    return this.core.submit.execute(msg);
  }

  @Handles(RPC.providers.jobCancel)
  cancel(msg: CancelJobMsg): Promise<CancelJobResult> {
    return this.core.cancel.execute(msg.generationId, msg.attempt);
  }
}
