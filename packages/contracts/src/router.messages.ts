/**
 * Requests of the router's NATS API beyond the creates (`CreateGenerationMsg`, `CreateResponseMsg`) and
 * the by-id reads (`GetByIdMsg`) that live in messages.ts.
 */
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Envelope, OrgMsg } from './messages';

/** `router.generation.list`: newest first, `before` filters by time, `cursor` pages. */
export class GenerationListMsg extends OrgMsg {
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @IsString() before?: string;
  @IsOptional() @IsString() cursor?: string;
}

/** `router.video.list`: OpenAI's `after` pagination. */
export class VideoListMsg extends OrgMsg {
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @IsOptional() @IsString() after?: string;
}

/** `router.models.get`. */
export class ModelGetMsg extends Envelope {
  @IsString() slug!: string;
}

/** `router.apps.rankings`. */
export class RankingsMsg extends Envelope {
  @IsOptional() @IsInt() @Min(1) @Max(24 * 90) windowHours?: number;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
}

/** `router.apps.rankings_settings.update`. */
export class RankingsSettingsMsg extends OrgMsg {
  @IsBoolean() optOut!: boolean;
}
