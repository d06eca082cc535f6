import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { mintApiKey, parseApiKey, secretMatches } from './api-key';
import type { ApiKeyRepository } from './api-key.repository';

/** Name of the key local mode creates. */
export const BOOTSTRAP_KEY_NAME = 'local admin (lemur up)';

/**
 * Local mode: makes sure `team` exists and has a working admin key whose full token is in `keyFile`. Idempotent: a
 * file holding a valid, unrevoked, unexpired admin key of that team is kept; otherwise a new key is minted and the file
 * (re)written with mode 0600. Returns the token and whether it is new.
 */
export async function bootstrapAdminKey(
  keys: ApiKeyRepository,
  audit: AuditLogRepository,
  opts: { keyFile: string; team: string; now?: Date },
): Promise<{ token: string; created: boolean }> {
  const now = opts.now ?? new Date();
  const teamId = await keys.ensureTeam(opts.team);
  const existing = (await readFile(opts.keyFile, 'utf8').catch(() => '')).trim();
  const parsed = parseApiKey(existing);
  if (parsed) {
    const key = await keys.findByPublicId(parsed.publicId);
    const valid =
      key !== null &&
      key.teamId === teamId &&
      key.role === 'admin' &&
      key.revokedAt === null &&
      (key.expiresAt === null || key.expiresAt > now) &&
      secretMatches(parsed.secret, key.secretHash);
    if (valid) return { token: existing, created: false };
  }
  const minted = mintApiKey();
  await keys.create({ teamId, publicId: minted.publicId, secretHash: minted.secretHash, name: BOOTSTRAP_KEY_NAME, role: 'admin' });
  await audit.record({ teamId, actor: 'bootstrap', action: 'key.create', target: `lmr_${minted.publicId}`, detail: { name: BOOTSTRAP_KEY_NAME, role: 'admin' } });
  await mkdir(dirname(opts.keyFile), { recursive: true });
  await writeFile(opts.keyFile, `${minted.token}\n`, { mode: 0o600 });
  await chmod(opts.keyFile, 0o600);
  return { token: minted.token, created: true };
}
