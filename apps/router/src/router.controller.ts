import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CreateGenerationMsg, CreateResponseMsg, Envelope, GetByIdMsg, OrgMsg, readGetByIdMsg, RPC, validateMessage } from '@pipevideo/contracts';
import { RouterEngine } from './router.engine';

export const ROUTER_ENGINE = Symbol('ROUTER_ENGINE');

class ListMsg extends OrgMsg {
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @IsString() before?: string;
  @IsOptional() @IsString() cursor?: string;
}
class VideoListMsg extends OrgMsg {
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @IsOptional() @IsString() after?: string;
}
class ModelMsg extends Envelope {
  @IsString() slug!: string;
}
class RankingsMsg extends Envelope {
  @IsOptional() @IsInt() @Min(1) @Max(24 * 90) windowHours?: number;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
}

class RankingsSettingsMsg extends OrgMsg {
  @IsBoolean() optOut!: boolean;
}

/** NATS shell over RouterEngine: validate, delegate. */
@Controller()
export class RouterController {
  constructor(@Inject(ROUTER_ENGINE) private readonly engine: RouterEngine) {}

  @MessagePattern(RPC.router.generationCreate)
  create(@Payload() data: unknown) {
    return this.engine.createGeneration(validateMessage(CreateGenerationMsg, data));
  }

  // Polls: the hot read subjects, checked by hand (readGetByIdMsg) instead of a class-transformer pass.
  @MessagePattern(RPC.router.generationGet)
  get(@Payload() data: unknown) {
    const m = readGetByIdMsg(data);
    return this.engine.getGeneration(m.orgId, m.id);
  }

  @MessagePattern(RPC.router.generationList)
  list(@Payload() data: unknown) {
    const m = validateMessage(ListMsg, data);
    return this.engine.listGenerations(m.orgId, m.limit ?? 20, m.before, m.cursor);
  }

  @MessagePattern(RPC.router.modelsList)
  models() {
    return this.engine.listModels();
  }

  @MessagePattern(RPC.router.modelGet)
  model(@Payload() data: unknown) {
    return this.engine.getModel(validateMessage(ModelMsg, data).slug);
  }

  @MessagePattern(RPC.router.enginesList)
  engines() {
    return this.engine.listEngines();
  }

  @MessagePattern(RPC.router.responseCreate)
  createResponse(@Payload() data: unknown) {
    const m = validateMessage(CreateResponseMsg, data);
    return this.engine.createResponse(m.orgId, m.request, m.attribution, m.correlationId, m.idempotencyKey, m.maxInFlight, m.keyId ? { id: m.keyId, limit: m.keyLimit ?? null } : undefined);
  }

  @MessagePattern(RPC.router.responseGet)
  getResponse(@Payload() data: unknown) {
    const m = readGetByIdMsg(data);
    return this.engine.getResponse(m.orgId, m.id);
  }

  @MessagePattern(RPC.router.responseCancel)
  cancelResponse(@Payload() data: unknown) {
    const m = validateMessage(GetByIdMsg, data);
    return this.engine.cancelResponse(m.orgId, m.id);
  }

  @MessagePattern(RPC.router.videoCreate)
  createVideo(@Payload() data: unknown) {
    return this.engine.videos.create(validateMessage(CreateGenerationMsg, data));
  }

  @MessagePattern(RPC.router.videoGet)
  getVideo(@Payload() data: unknown) {
    const m = readGetByIdMsg(data);
    return this.engine.videos.get(m.orgId, m.id);
  }

  @MessagePattern(RPC.router.videoList)
  listVideos(@Payload() data: unknown) {
    const m = validateMessage(VideoListMsg, data);
    return this.engine.videos.list(m.orgId, m.limit ?? 20, m.order ?? 'desc', m.after);
  }

  @MessagePattern(RPC.router.videoDelete)
  deleteVideo(@Payload() data: unknown) {
    const m = validateMessage(GetByIdMsg, data);
    return this.engine.videos.delete(m.orgId, m.id);
  }

  @MessagePattern(RPC.router.rankings)
  rankings(@Payload() data: unknown) {
    const m = validateMessage(RankingsMsg, data);
    return this.engine.rankings(m.windowHours ?? 24, m.limit ?? 20);
  }

  @MessagePattern(RPC.router.rankingsSettingsGet)
  rankingsSettings(@Payload() data: unknown) {
    return this.engine.apps.settings(validateMessage(OrgMsg, data).orgId);
  }

  @MessagePattern(RPC.router.rankingsSettingsUpdate)
  updateRankingsSettings(@Payload() data: unknown) {
    const m = validateMessage(RankingsSettingsMsg, data);
    return this.engine.apps.setOptOut(m.orgId, m.optOut);
  }
}
