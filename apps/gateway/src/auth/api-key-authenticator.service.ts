import type { Logger } from '@lemur/shared-logging';
import { HttpRejection } from '../http/api-error';
import { parseApiKey, roleAllows, secretMatches, type RoleName } from './api-key';
import type { ApiKeyRepository, StoredKey } from './api-key.repository';
import type { Principal } from './principal';

/**
 * How long a looked-up key is trusted before it is read again. Revocations and role changes reach every replica at once
 * through API_KEY_CHANGED_CHANNEL; this bounds how long a change could go unseen while that listener is reconnecting.
 */
const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
/** lastUsedAt is written at most this often per key, so a busy key costs no write per request. */
const TOUCH_GAP_MS = 60_000;

const HOW_TO = 'send `Authorization: Bearer lmr_...`; `lemur up` prints the local admin key, and an admin creates more with `lemur keys create`';

function unauthenticated(message: string): HttpRejection {
  return new HttpRejection(401, 'UNAUTHENTICATED', message, undefined, { 'www-authenticate': 'Bearer realm="lemur"' });
}

/**
 * Resolves `Authorization: Bearer <key>` to a team and role. Keys are looked up by their public id (cached for a few
 * seconds), the secret checked against its sha256 in constant time; use is recorded at most once a minute per key.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { key: Promise<StoredKey | null>; at: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly cacheTtlMs: number = CACHE_TTL_MS,
  ) {}

  /** The principal of a request's Authorization header, or a 401 saying what is wrong and what to do. */
  async authenticate(authorization: string | string[] | undefined): Promise<Principal> {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    if (!header) throw unauthenticated(`missing API key: ${HOW_TO}`);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated(`the Authorization header must be \`Bearer <key>\`: ${HOW_TO}`);
    const parsed = parseApiKey(match[1]!);
    if (!parsed) throw unauthenticated(`malformed API key (expected lmr_<id>_<secret>): ${HOW_TO}`);
    const key = await this.lookup(parsed.publicId);
    if (!key || !secretMatches(parsed.secret, key.secretHash)) throw unauthenticated(`unknown API key lmr_${parsed.publicId}: ${HOW_TO}`);
    const now = this.now();
    if (key.revokedAt && key.revokedAt.getTime() <= now) {
      throw unauthenticated(`API key lmr_${key.publicId} was revoked at ${key.revokedAt.toISOString()}; ask a team admin for a new one`);
    }
    if (key.expiresAt && key.expiresAt.getTime() <= now) {
      throw unauthenticated(`API key lmr_${key.publicId} expired at ${key.expiresAt.toISOString()}; ask a team admin for a new one`);
    }
    this.touch(key, now);
    return { keyId: key.id, actor: `lmr_${key.publicId}`, teamId: key.teamId, teamName: key.teamName, role: key.role };
  }

  /** A 403 unless the principal's role covers `needed`. */
  authorize(principal: Principal, needed: RoleName): void {
    if (!roleAllows(principal.role, needed)) {
      throw new HttpRejection(403, 'PERMISSION_DENIED', `this needs the ${needed} role; key ${principal.actor} has ${principal.role}`);
    }
  }

  /** Drops a key from the cache (revoked or lowered here, or NOTIFYed by the replica that changed it). */
  forget(publicId: string): void {
    this.cache.delete(publicId);
  }

  /** Drops every cached key (the change listener was down, so a change may have been missed). */
  forgetAll(): void {
    this.cache.clear();
  }

  private lookup(publicId: string): Promise<StoredKey | null> {
    const now = this.now();
    const hit = this.cache.get(publicId);
    if (hit && now - hit.at < this.cacheTtlMs) return hit.key;
    // The look-up itself is cached, so requests that miss together share one query: at 50 concurrent clients every
    // request in flight when an entry expired read the key again, a burst of queries every few seconds.
    const entry = { key: this.keys.findByPublicId(publicId), at: now };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(publicId, entry);
    entry.key.catch(() => {
      if (this.cache.get(publicId) === entry) this.cache.delete(publicId);
    });
    return entry.key;
  }

  private touch(key: StoredKey, now: number): void {
    const last = this.touched.get(key.id) ?? key.lastUsedAt?.getTime() ?? 0;
    if (now - last < TOUCH_GAP_MS) return;
    this.touched.set(key.id, now);
    if (this.touched.size > CACHE_MAX) this.touched.clear();
    this.keys.touch(key.id, new Date(now), TOUCH_GAP_MS).catch((err: unknown) => {
      this.logger.warn({ err, keyId: key.id }, 'could not record API key use');
    });
  }
}
