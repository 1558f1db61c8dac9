import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/** What `pipevideo login` stores. */
export interface CliConfig {
  apiKey?: string;
  baseUrl?: string;
}

/**
 * The user's config directory: PIPEVIDEO_CONFIG_DIR, else the platform's convention —
 * $XDG_CONFIG_HOME/pipevideo (~/.config/pipevideo) on Linux, ~/Library/Application Support/pipevideo
 * on macOS, %APPDATA%\pipevideo on Windows.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPEVIDEO_CONFIG_DIR) return env.PIPEVIDEO_CONFIG_DIR;
  if (platform() === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'pipevideo');
  if (platform() === 'darwin') return join(homedir(), 'Library', 'Application Support', 'pipevideo');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'pipevideo');
}

export const configFile = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'config.json');

export async function readConfig(env?: NodeJS.ProcessEnv): Promise<CliConfig> {
  try {
    return JSON.parse(await readFile(configFile(env), 'utf8')) as CliConfig;
  } catch {
    return {};
  }
}

/** Writes the config readable by its owner only (0600, in a 0700 directory): it holds a secret. */
export async function writeConfig(config: CliConfig, env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = configFile(env);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode only applies when it creates the file: an older, wider file is narrowed too.
  await chmod(file, 0o600);
  return file;
}

export async function removeConfig(env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(configFile(env), { force: true });
}
