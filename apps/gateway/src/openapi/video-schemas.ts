import { ApiProperty } from '@nestjs/swagger';

/** Schemas of the OpenAI Videos face (`/v1/videos`): OpenAI's `video` object, list and deletion. */
export class OpenAIVideoErrorSchema {
  @ApiProperty({ example: 'generation_failed', description: '`cancelled` for a video deleted while it ran; otherwise why it failed.' }) code!: string;
  @ApiProperty({ example: 'Provider returned failure' }) message!: string;
}

export class OpenAIVideoSchema {
  @ApiProperty({ example: 'gen_abc123xyz', description: 'The same id as in /v1/video/generations.' }) id!: string;
  @ApiProperty({ enum: ['video'] }) object!: string;
  @ApiProperty({ enum: ['queued', 'in_progress', 'completed', 'failed'], description: 'A video deleted while it ran shows failed with error.code cancelled.' }) status!: string;
  @ApiProperty({ example: 50, description: 'Derived from the status: 0 queued, 50 in_progress, 100 completed, 0 failed.' }) progress!: number;
  @ApiProperty({ example: 'google/veo-3.1', description: 'The model that runs (or the one requested until a route is chosen).' }) model!: string;
  @ApiProperty({ type: String, nullable: true }) prompt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '8', description: 'Seconds made and billed.' }) seconds!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '1280x720', description: 'Width x height made: the resolution as the short side, the aspect ratio asked (else the model\'s default).' }) size!: string | null;
  @ApiProperty({ description: 'Unix seconds.' }) created_at!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Unix seconds; set once completed or failed.' }) completed_at!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Unix seconds until which GET /v1/videos/{id}/content can serve the file (completion + 24 h).' }) expires_at!: number | null;
  @ApiProperty({ type: () => OpenAIVideoErrorSchema, nullable: true }) error!: OpenAIVideoErrorSchema | null;
  @ApiProperty({ type: String, nullable: true, description: 'Always null: remixing is not supported.' }) remixed_from_video_id!: string | null;
}

export class OpenAIVideoListSchema {
  @ApiProperty({ enum: ['list'] }) object!: string;
  @ApiProperty({ type: [OpenAIVideoSchema] }) data!: OpenAIVideoSchema[];
  @ApiProperty({ type: String, nullable: true }) first_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `after` for the next page.' }) last_id!: string | null;
  @ApiProperty() has_more!: boolean;
}

export class OpenAIVideoDeletedSchema {
  @ApiProperty({ example: 'gen_abc123xyz' }) id!: string;
  @ApiProperty({ enum: ['video.deleted'] }) object!: string;
  @ApiProperty({ example: true }) deleted!: boolean;
}
