import { Controller, Inject, Param, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROVIDERS_COMPOSITION, type ProvidersComposition } from '../providers.composition';

/**
 * Provider callbacks: `POST /callbacks/fal/:jobRef`, `POST /callbacks/replicate/:jobRef`. The raw
 * body (the exact signed bytes) comes from `rawBody: true` in startService.
 */
@Controller('callbacks')
export class CallbacksController {
  constructor(@Inject(PROVIDERS_COMPOSITION) private readonly core: ProvidersComposition) {}

  @Post(':provider/:jobRef')
  async receive(@Param('provider') provider: string, @Param('jobRef') jobRef: string, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const answer = await this.core.callbacks.execute(provider, jobRef, req.headers, req.rawBody);
    await reply.status(answer.status).send(answer.body);
  }
}
