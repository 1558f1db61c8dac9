import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class EmailStartDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  @IsString({ message: 'is required: the email address to send the sign-in link to' })
  email!: string;

  @ApiPropertyOptional({ example: '/keys', description: 'Where to land after signing in: a same-origin path ("/keys"); anything else lands on "/".' })
  @IsOptional()
  @MaxLength(512, { message: 'must be at most 512 characters' })
  @IsString({ message: 'must be a relative path such as /keys' })
  return_to?: string;
}

export class EmailVerifyDto {
  @ApiProperty({ description: 'The token of the sign-in link (its `token` query parameter).' })
  @MaxLength(128, { message: 'must be at most 128 characters' })
  @IsString({ message: 'is required: the token of the sign-in link' })
  token!: string;
}

export class NewOrgDto {
  @ApiProperty({ example: 'Acme', maxLength: 200 })
  @MaxLength(200, { message: 'must be at most 200 characters' })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString({ message: 'is required: the organization’s name' })
  name!: string;
}

export class InviteDto {
  @ApiProperty({ example: 'grace@example.com', maxLength: 254 })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  @IsString({ message: 'is required: the email address to invite' })
  email!: string;

  @ApiPropertyOptional({ enum: ['owner', 'admin', 'member'], default: 'member', description: 'Role on joining (owners only invite owners).' })
  @IsOptional()
  @IsIn(['owner', 'admin', 'member'], { message: "must be 'owner', 'admin' or 'member'" })
  role?: 'owner' | 'admin' | 'member';
}

export class RoleDto {
  @ApiProperty({ enum: ['owner', 'admin', 'member'] })
  @IsIn(['owner', 'admin', 'member'], { message: "must be 'owner', 'admin' or 'member'" })
  role!: 'owner' | 'admin' | 'member';
}
