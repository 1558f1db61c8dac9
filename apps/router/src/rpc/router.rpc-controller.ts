import { Controller, Inject } from '@nestjs/common';
import {
  CreateGenerationMsg, CreateResponseMsg, GenerationListMsg, GetByIdMsg, GetOutputMsg, ModelGetMsg, OrgMsg, RankingsMsg, RankingsSettingsMsg, RPC, VideoListMsg,
} from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import { RouterComposition } from '../router.composition';

export const ROUTER_COMPOSITION = Symbol('ROUTER_COMPOSITION');

/** NATS shell over RouterComposition: requests arrive decoded (@Handles), replies are each subject's type; delegate. */
@Controller()
export class RouterRpcController {
  constructor(@Inject(ROUTER_COMPOSITION) private readonly engine: RouterComposition) {}

  @Handles(RPC.router.generationCreate)
  create(m: CreateGenerationMsg) {
    return this.engine.createGeneration(m);
  }

  @Handles(RPC.router.generationGet)
  get(m: GetByIdMsg) {
    return this.engine.getGeneration(m.orgId, m.id);
  }

  @Handles(RPC.router.generationList)
  list(m: GenerationListMsg) {
    return this.engine.listGenerations(m.orgId, m.limit ?? 20, m.before, m.cursor);
  }

  @Handles(RPC.router.modelsList)
  models() {
    return this.engine.listModels();
  }

  @Handles(RPC.router.modelGet)
  model(m: ModelGetMsg) {
    return this.engine.getModel(m.slug);
  }

  @Handles(RPC.router.enginesList)
  engines() {
    return this.engine.listEngines();
  }

  @Handles(RPC.router.responseCreate)
  createResponse(m: CreateResponseMsg) {
    return this.engine.createResponse(m.orgId, m.request, m.attribution, m.correlationId, m.idempotencyKey, m.maxInFlight, m.keyId ? { id: m.keyId, limit: m.keyLimit ?? null } : undefined);
  }

  @Handles(RPC.router.responseGet)
  getResponse(m: GetByIdMsg) {
    return this.engine.getResponse(m.orgId, m.id);
  }

  @Handles(RPC.router.responseCancel)
  cancelResponse(m: GetByIdMsg) {
    return this.engine.cancelResponse(m.orgId, m.id);
  }

  @Handles(RPC.router.outputGet)
  getOutput(m: GetOutputMsg) {
    return this.engine.locateOutput(m.orgId, m.id, m.api);
  }

  @Handles(RPC.router.videoCreate)
  createVideo(m: CreateGenerationMsg) {
    return this.engine.videos.create(m);
  }

  @Handles(RPC.router.videoGet)
  getVideo(m: GetByIdMsg) {
    return this.engine.videos.get(m.orgId, m.id);
  }

  @Handles(RPC.router.videoList)
  listVideos(m: VideoListMsg) {
    return this.engine.videos.list(m.orgId, m.limit ?? 20, m.order ?? 'desc', m.after);
  }

  @Handles(RPC.router.videoDelete)
  deleteVideo(m: GetByIdMsg) {
    return this.engine.videos.delete(m.orgId, m.id);
  }

  @Handles(RPC.router.rankings)
  rankings(m: RankingsMsg) {
    return this.engine.rankings(m.windowHours ?? 24, m.limit ?? 20);
  }

  @Handles(RPC.router.rankingsSettingsGet)
  rankingsSettings(m: OrgMsg) {
    return this.engine.apps.settings(m.orgId);
  }

  @Handles(RPC.router.rankingsSettingsUpdate)
  updateRankingsSettings(m: RankingsSettingsMsg) {
    return this.engine.apps.setOptOut(m.orgId, m.optOut);
  }
}
