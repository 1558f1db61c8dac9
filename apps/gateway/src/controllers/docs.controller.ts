import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { GatewayController, Public } from '../http/auth';
import { GATEWAY_RUNTIME, GatewayRuntime } from '../runtime';

/** The OpenAPI 3.1 document (the interactive docs at /docs read the same object). */
@ApiExcludeController()
@GatewayController()
@Public()
@Controller()
export class DocsController {
  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  @Get('openapi.json')
  openapi() {
    return this.rt.openapiDocument;
  }
}
