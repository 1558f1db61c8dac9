import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CancelJobMsg, RPC, SubmitJobMsg, validateMessage, type CancelJobResult, type SubmitJobResult } from '@pipevideo/contracts';
import { PROVIDERS_CORE, type ProvidersCore } from '../providers-core';

/** NATS handlers: validate, delegate. */
@Controller()
export class JobsRpcController {
  constructor(@Inject(PROVIDERS_CORE) private readonly core: ProvidersCore) {}

  @MessagePattern(RPC.providers.jobSubmit)
  submit(@Payload() data: unknown): Promise<SubmitJobResult> {
    return this.core.submit.execute(validateMessage(SubmitJobMsg, data));
  }

  @MessagePattern(RPC.providers.jobCancel)
  cancel(@Payload() data: unknown): Promise<CancelJobResult> {
    const msg = validateMessage(CancelJobMsg, data);
    return this.core.cancel.execute(msg.generationId, msg.attempt);
  }
}
