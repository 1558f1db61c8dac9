import { CreateGenerationMsg, notFound } from '@pipevideo/contracts';
import type { DataSource } from 'typeorm';
import type { Catalog } from '../catalog/catalog';
import type { GenerationStore } from '../generations/generation.store';
import type { GenerationRow } from '../generations/generation.types';
import { deleteVideo } from './delete-video';
import { openaiVideoView } from './openai-video-view';
import { ListOrder, VideoQueries } from './video-queries';

export interface VideosFacePorts {
  /** The generations API's create (routing, the hold, dispatch): one lifecycle behind every face. */
  createGeneration(msg: CreateGenerationMsg): Promise<{ id: string }>;
  /** A running video was cancelled: stop its upstream job and publish its events now. */
  cancelled(row: GenerationRow): void;
}

/**
 * The OpenAI Videos API (`/v1/videos`) as a face of the video generations: the same rows, routing,
 * billing and webhooks as `/v1/video/generations`, shown as OpenAI's `video` object.
 */
export class VideosFace {
  private readonly queries: VideoQueries;

  constructor(
    private readonly ds: DataSource,
    private readonly store: GenerationStore,
    private readonly catalog: Catalog,
    private readonly ports: VideosFacePorts,
  ) {
    this.queries = new VideoQueries(ds);
  }

  private view(g: GenerationRow) {
    return openaiVideoView(g, this.catalog.getModel(g.model ?? g.requested_model));
  }

  async create(msg: CreateGenerationMsg) {
    const { id } = await this.ports.createGeneration(msg);
    const g = await this.store.get(msg.orgId, id);
    if (!g) throw notFound(`Video ${id} not found`);
    return this.view(g);
  }

  async get(orgId: string, id: string) {
    const g = await this.store.get(orgId, id);
    if (!g || g.api !== 'video' || g.deleted_at) throw notFound(`Video ${id} not found`);
    return this.view(g);
  }

  /** OpenAI's cursor list: `after` is the last id of the previous page; `first_id`/`last_id` frame this one. */
  async list(orgId: string, limit: number, order: ListOrder, after?: string) {
    const found = await this.queries.list(orgId, limit + 1, order, after);
    const data = found.slice(0, limit).map((g) => this.view(g));
    return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: found.length > limit };
  }

  async delete(orgId: string, id: string) {
    const { row, cancelledNow } = await deleteVideo(this.ds, this.store, this.queries, orgId, id);
    if (cancelledNow) this.ports.cancelled(row);
    return { id: row.id, object: 'video.deleted' as const, deleted: true as const };
  }
}
