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
    const end = new Date(ref.retainedUntil).getTime();
    const expires = new Date(Math.min(end, now + this.linkTtlSeconds * 1000));
    const link = await this.storage.signedLink(ref.key, expires, { filename: ref.key.split('/').slice(-2).join('-') });
    this.onLink?.(kind);
    return link;
  }
}

/** True when the output's retention has ended (→ 410 Gone), or ends within a second (no link worth handing out). */
export const outputExpired = (ref: Pick<StoredOutputRef, 'retainedUntil'>, now = Date.now()) => !(new Date(ref.retainedUntil).getTime() > now + 1000);
