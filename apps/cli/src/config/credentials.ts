import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliEnvironment } from './cli.config';

/** One saved server and key. */
export interface Profile {
  server: string;
  apiKey: string;
}

/** The profiles file: named profiles and the one in use. */
export interface ProfilesFile {
  current?: string;
  profiles: Record<string, Profile>;
}

/** Where `lemur up` keeps the local team's admin key (written by the gateway, mode 0600). */
export function localAdminKeyFile(env: CliEnvironment): string {
  return join(env.home, 'admin-key');
}

/** The profiles file, or an empty one; a file that is not ours is an error that names it. */
export function readProfiles(file: string): ProfilesFile {
  if (!existsSync(file)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ProfilesFile>;
    return { ...(parsed.current ? { current: parsed.current } : {}), profiles: parsed.profiles ?? {} };
  } catch (err) {
    throw new Error(`cannot read the Lemur config file ${file} (${(err as Error).message}); fix or delete it, then \`lemur login\` again`);
  }
}

/** Saves a profile (and makes it current); the file holds keys, so it is private to the user. */
export function saveProfile(file: string, name: string, profile: Profile): void {
  const all = readProfiles(file);
  all.profiles[name] = profile;
  all.current = name;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The profile in use: LEMUR_PROFILE, else the file's current one. */
export function activeProfile(env: CliEnvironment): Profile | undefined {
  const all = readProfiles(env.configFile);
  const name = env.profile ?? all.current;
  if (env.profile && !all.profiles[env.profile]) {
    throw new Error(`no profile "${env.profile}" in ${env.configFile}; create it with \`lemur login --profile ${env.profile}\``);
  }
  return name ? all.profiles[name] : undefined;
}

/**
 * The key to send: LEMUR_API_KEY, else the active profile's (when it is for this server), else the local admin key
 * that `lemur up` wrote. Undefined when there is none (the gateway then says how to get one).
 */
export function resolveApiKey(env: CliEnvironment, server: string): string | undefined {
  if (env.apiKey) return env.apiKey;
  const profile = activeProfile(env);
  if (profile && sameServer(profile.server, server)) return profile.apiKey;
  const local = localAdminKeyFile(env);
  return existsSync(local) ? readFileSync(local, 'utf8').trim() || undefined : undefined;
}

/** The server to talk to when none was given: LEMUR_SERVER, else the active profile's. */
export function defaultServer(env: CliEnvironment): string | undefined {
  return env.server ?? activeProfile(env)?.server;
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
