import type { StoredFileRef } from '@pipevideo/contracts';
import type { ObjectStorage, SignedLink } from './object-storage';

/** A stored output as the services pass it around (the router keeps it on the generation). */
export type StoredOutputRef = StoredFileRef;

/**
 * Fresh links to stored outputs. A link expires after the link TTL or when retention ends,
 * whichever is first, and `expiresAt` is that moment: the `expires_at` we publish is true. An
 * output past its retention has no link (null): the file is gone or about to be.
 */
export class OutputLinks {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly linkTtlSeconds: number,
    private readonly onLink?: (kind: string) => void,
  ) {}

  async link(ref: Pick<StoredOutputRef, 'key' | 'retainedUntil'>, kind: 'output' | 'artifact', now = Date.now()): Promise<SignedLink | null> {
    if (outputExpired(ref, now)) return null;
    const { signedAt, expiresAt } = linkWindow(now, this.linkTtlSeconds, new Date(ref.retainedUntil).getTime());
    const link = await this.storage.signedLink(ref.key, new Date(expiresAt), { filename: ref.key.split('/').slice(-2).join('-'), signedAt: new Date(signedAt) });
    this.onLink?.(kind);
    return link;
  }
}

/** True when the output's retention has ended (→ 410 Gone), or ends within a second (no link worth handing out). */
export const outputExpired = (ref: Pick<StoredOutputRef, 'retainedUntil'>, now = Date.now()) => !(new Date(ref.retainedUntil).getTime() > now + 1000);

/**
 * The window a link is signed for. Links are signed in fixed windows of the TTL (from the epoch), so
 * every read within one window hands out the same URL (the webhook's `outputUrl` is the poll's
 * `output_url`; players and CDNs can cache it): a link expires at the first window boundary at least half
 * a TTL away (so it lives between ½ and 1½ TTL), or when retention ends if that is sooner. `signedAt` is
 * the start of the current window (S3 presigning signs "as of" it, so the URL does not change each second).
 */
export function linkWindow(now: number, ttlSeconds: number, retainedUntil: number): { signedAt: number; expiresAt: number } {
  const ttl = Math.max(1, ttlSeconds) * 1000;
  const signedAt = Math.floor(now / ttl) * ttl;
  let boundary = signedAt + ttl;
  if (boundary - now < ttl / 2) boundary += ttl;
  return { signedAt, expiresAt: Math.min(boundary, Math.floor(retainedUntil / 1000) * 1000) };
}
