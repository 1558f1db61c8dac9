import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';

export const PROVIDER_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const ROUTE_SORTS = ['price', 'latency', 'success'] as const;

export class MaxPriceDto {
  @ApiPropertyOptional({ description: 'Maximum total estimated cost per request, in cents. Routes above it are excluded.', minimum: 0, example: 500 })
  @IsOptional()
  @Min(0, { message: 'must be a non-negative number of cents' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a non-negative number of cents' })
  per_request_cents?: number;

  @ApiPropertyOptional({ description: 'Maximum per-second cost, in cents. Routes with a higher rate are excluded.', minimum: 0, example: 20 })
  @IsOptional()
  @Min(0, { message: 'must be a non-negative number of cents' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a non-negative number of cents' })
  per_second_cents?: number;
}

export class ProviderPrefsDto {
  @ApiPropertyOptional({ type: [String], description: 'Provider slugs in preference order (e.g. ["fal", "replicate"]). Unknown or internal slugs are refused with 400.', example: ['fal'], maxItems: 10 })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "fal" or "replicate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @IsArray({ message: 'must be an array of provider slugs, e.g. ["fal", "replicate"]' })
  order?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Only these providers may serve the request (internal routes are left out too). Unknown or internal slugs are refused with 400.', example: ['fal'], maxItems: 10, minItems: 1 })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "fal" or "replicate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @ArrayMinSize(1, { message: 'must name at least one provider (or be left out)' })
  @IsArray({ message: 'must be an array of provider slugs, e.g. ["fal"]' })
  only?: string[];

  @ApiPropertyOptional({ type: [String], description: 'These providers never serve the request.', example: ['replicate'], maxItems: 10 })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "fal" or "replicate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @IsArray({ message: 'must be an array of provider slugs, e.g. ["replicate"]' })
  ignore?: string[];

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'false: only the first eligible route of each model is tried (no fallback to other providers; fallbacks across `models` stay).' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  allow_fallbacks?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'true: only routes that honour every parameter sent (e.g. a requested resolution; audio, duration, aspect ratio, imageUrl and options are always required).' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  require_parameters?: boolean;

  @ApiPropertyOptional({
    enum: ROUTE_SORTS,
    default: 'price',
    description: 'How eligible routes are ordered: `price` (cheapest healthy first), `latency` (fastest measured completion first), `success` (highest measured success rate first); ties by price. Measurements are the recent window shown per endpoint in GET /v1/models.',
  })
  @IsOptional()
  @IsIn(ROUTE_SORTS, { message: `must be one of ${ROUTE_SORTS.join(', ')}` })
  sort?: (typeof ROUTE_SORTS)[number];

  @ApiPropertyOptional({ type: () => MaxPriceDto, description: 'Cost constraints that filter eligible routes.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => MaxPriceDto)
  @IsObject({ message: 'must be an object with per_request_cents and/or per_second_cents' })
  max_price?: MaxPriceDto;
}
