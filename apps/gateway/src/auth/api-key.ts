import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a key (or member) may do; each role includes the ones before it. */
export type RoleName = 'viewer' | 'runner' | 'admin';
export const ROLES: readonly RoleName[] = ['viewer', 'runner', 'admin'];

/** True when `held` is at least `needed` (viewer < runner < admin). */
export function roleAllows(held: RoleName, needed: RoleName): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

const PREFIX = 'lmr_';
const PUBLIC_ID_LENGTH = 12;
const PUBLIC_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
// 32 random bytes in base64url: 43 characters.
const KEY_PATTERN = /^lmr_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A newly minted key: the full token (shown once), its public id (shown always) and the stored hash. */
export interface MintedKey {
  token: string;
  publicId: string;
  secretHash: Buffer;
}

function publicId(): string {
  // 36^12 ≈ 2^62 ids; rejection sampling keeps every character uniform.
  let id = '';
  while (id.length < PUBLIC_ID_LENGTH) {
    for (const byte of randomBytes(16)) {
      if (byte < 252 && id.length < PUBLIC_ID_LENGTH) id += PUBLIC_ID_ALPHABET[byte % 36];
    }
  }
  return id;
}

/**
 * sha256 of the secret. The secret is 32 uniformly random bytes, so a slow password hash (scrypt, argon2) would add no
 * protection against guessing (2^256 candidates) while costing tens of milliseconds of CPU on every request; a plain
 * cryptographic hash is what stops a database leak from yielding usable keys.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A fresh random key, `lmr_<12-char public id>_<43-char secret>`. */
export function mintApiKey(): MintedKey {
  const id = publicId();
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}${id}_${secret}`, publicId: id, secretHash: hashSecret(secret) };
}

/** Splits a presented token into its public id and secret; undefined when it is not shaped like a Lemur key. */
export function parseApiKey(token: string): { publicId: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(token);
  return match ? { publicId: match[1]!, secret: match[2]! } : undefined;
}

/** Constant-time check of a presented secret against a stored hash. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const presented = hashSecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

/** How a key is shown after creation: prefix and public id, never the secret. */
export function displayKey(publicId: string): string {
  return `${PREFIX}${publicId}_…`;
}
