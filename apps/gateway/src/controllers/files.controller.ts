import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ErrorCode } from '@pipevideo/contracts';
import { contentTypeOfKey, DiskStorage } from '@pipevideo/platform';
import { ApiError } from '../http/api-error';
import { GatewayController, Public } from '../http/auth';
import type { Headers, StreamReply } from '../outputs/output-content';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';

/**
 * The disk driver's signed links (`/v1/files/outputs/<generation>/<attempt>/<file>?expires=…&signature=…`):
 * no API key — the HMAC signature over the key and the expiry is the credential, as an S3 presigned
 * URL's is. A wrong or expired signature is a 403; Range requests are served like …/content.
 * Not in the API document: these URLs are handed out, never built by clients.
 */
@ApiExcludeController()
@GatewayController()
@Public()
@Controller('v1/files')
export class FilesController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get('outputs/:generation/:attempt/:file')
  async file(
    @Param('generation') generation: string,
    @Param('attempt') attempt: string,
    @Param('file') file: string,
    @Query() q: Record<string, unknown>,
    @Req() req: { headers: Headers },
    @Res() reply: StreamReply,
  ) {
    const storage = this.rt.storage;
    const key = `outputs/${generation}/${attempt}/${file}`;
    const expires = Number(q.expires);
    const signature = typeof q.signature === 'string' ? q.signature : '';
    if (!(storage instanceof DiskStorage) || !storage.verify(key, expires, signature)) {
      this.rt.outputMetrics.content.inc({ endpoint: 'files', outcome: 'bad_signature' });
      throw new ApiError(
        ErrorCode.FORBIDDEN,
        Number.isSafeInteger(expires) && expires * 1000 < Date.now()
          ? 'This link has expired. Ask GET /v1/video/generations/{id}/content?link=true (or …/responses/{id}/content) for a fresh one.'
          : 'This link is not valid (its signature does not match). Use the URL exactly as the API gave it.',
      );
    }
    const info = await storage.head(key);
    if (!info) {
      this.rt.outputMetrics.content.inc({ endpoint: 'files', outcome: 'expired' });
      throw new ApiError(ErrorCode.GONE, 'The file is no longer stored: its retention ended. Generate it again.');
    }
    return this.rt.outputs.streamStored({ key, bytes: info.bytes, contentType: contentTypeOfKey(key) }, 'files', req.headers, reply, `${generation}-${file}`);
  }
}
