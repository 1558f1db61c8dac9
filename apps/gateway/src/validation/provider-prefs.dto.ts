import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';

export const PROVIDER_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

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

  @ApiPropertyOptional({ type: () => MaxPriceDto, description: 'Cost constraints that filter eligible routes.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => MaxPriceDto)
  @IsObject({ message: 'must be an object with per_request_cents and/or per_second_cents' })
  max_price?: MaxPriceDto;
}
