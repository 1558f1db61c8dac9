import { createObjectStorage, loadOutputStorageConfig, OutputLinks, outputExpired } from '@pipevideo/platform';
import type { GenerationRow } from './generation.types';

/** A link as the public objects show it: the URL and its true expiry (unix seconds). */
export interface PublicLink {
  url: string;
  expires_at: number;
}

/** The links of one generation, computed before a view is rendered (signing may be async). */
export interface GenerationLinks {
  output: PublicLink | null;
  artifact: PublicLink | null;
  /** The stored output's retention ended: the file is deleted and the API says so (410). */
  expired: boolean;
  /** When retention ends (unix seconds), null without a stored file. */
  retainedUntil: number | null;
}

export const NO_LINKS: GenerationLinks = { output: null, artifact: null, expired: false, retainedUntil: null };

/**
 * Signs fresh links to a completed generation's stored files on every read (so `expires_at` is always
 * the real expiry of the URL handed out). Rows completed before outputs were stored keep the provider's
 * URL with the promise made then (completion + 24 h).
 */
export class GenerationLinker {
  constructor(private readonly links: OutputLinks) {}

  async of(g: GenerationRow, now = Date.now()): Promise<GenerationLinks> {
    if (g.status !== 'completed') return NO_LINKS;
    const file = g.output_file;
    if (!file) {
      if (!g.output_url) return NO_LINKS;
      const expires = Math.floor(new Date(g.completed_at ?? now).getTime() / 1000) + 24 * 3600;
      return { output: { url: g.output_url, expires_at: expires }, artifact: g.artifact_url ? { url: g.artifact_url, expires_at: expires } : null, expired: false, retainedUntil: null };
    }
    const retainedUntil = Math.floor(new Date(file.retainedUntil).getTime() / 1000);
    if (outputExpired(file, now)) return { output: null, artifact: null, expired: true, retainedUntil };
    const [output, artifact] = await Promise.all([
      this.links.link(file, 'output', now),
      g.artifact_file ? this.links.link(g.artifact_file, 'artifact', now) : Promise.resolve(null),
    ]);
    const pub = (l: { url: string; expiresAt: Date } | null) => (l ? { url: l.url, expires_at: Math.floor(l.expiresAt.getTime() / 1000) } : null);
    return { output: pub(output), artifact: pub(artifact), expired: output === null, retainedUntil };
  }
}

/** The linker of the deployment's storage (env: PIPEVIDEO_STORAGE_*, docs/outputs.md). */
export function defaultLinker(onLink?: (kind: string) => void): GenerationLinker {
  const cfg = loadOutputStorageConfig();
  return new GenerationLinker(new OutputLinks(createObjectStorage(cfg), cfg.linkTtlSeconds, onLink));
}
