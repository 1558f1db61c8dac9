import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where PostgreSQL keeps its data. Normally `<dataDir>/pgdata`. Postgres refuses to run as root, so as
 * root it runs as the `postgres` system user, who must be able to walk down to the folder: when an
 * ancestor of `dataDir` is closed to others (root's home, any `mktemp -d`), the data goes to
 * `/var/lib/pipevideo/pgdata-<hash of dataDir>` instead — still one folder per data folder, kept across
 * restarts. A folder that already holds a cluster is always used as it is.
 */
export function pgDataDir(dataDir: string, root = userInfo().uid === 0): string {
  const inside = join(dataDir, 'pgdata');
  if (!root || existsSync(join(inside, 'PG_VERSION')) || othersCanReach(dirname(resolve(dataDir)))) return inside;
  return join('/var/lib/pipevideo', `pgdata-${createHash('sha1').update(resolve(dataDir)).digest('hex').slice(0, 12)}`);
}

/** True when every folder from `/` down to `dir` lets other users through (o+x). */
function othersCanReach(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    try {
      if (!(statSync(d).mode & 0o001)) return false;
    } catch {
      return false;
    }
    if (dirname(d) === d) return true;
  }
}

