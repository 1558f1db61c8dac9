import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { GatewayController, OperatorToken, Public } from '../http/auth';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';

/**
 * The OpenAPI 3.1 documents: the customer API at /openapi.json (the interactive docs at /docs read the
 * same object) and the operator API apart, behind the operator token.
 */
@ApiExcludeController()
@GatewayController()
@Public()
@Controller()
export class DocsController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get('openapi.json')
  openapi() {
    return this.rt.openapiDocument;
  }

  @Get('admin/openapi.json')
  @OperatorToken()
  operatorOpenapi() {
    return this.rt.operatorOpenapiDocument;
  }
}
