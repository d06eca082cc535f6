import { z } from 'zod';
import { ROLES } from './api-key';

const role = z.enum(ROLES as ['viewer', 'runner', 'admin']);
const isoTime = z.iso.datetime().nullable();
const nextCursor = z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page');

/** Body of POST /v1/keys. */
export const createKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('What the key is for, e.g. "ci nightly"'),
  role: role
    .optional()
    .describe("viewer reads; runner also starts and cancels runs and uses inference; admin also manages keys, members and quotas. Default: the member's role for a member's key, else runner; a member's key never holds more than the member"),
  expiresInDays: z.int().min(1).max(3650).optional().describe('Days until the key stops working; absent = never'),
  memberId: z.uuid().optional().describe('The member the key is issued to'),
});

/** Path of DELETE /v1/keys/:id: the key's public id, with or without its `lmr_` prefix. */
export const keyPathParams = z.strictObject({
  id: z.string().regex(/^(lmr_)?[a-z0-9]{12}$/, { message: 'must be a key id like lmr_abcdef123456' }),
});

/** Path of DELETE /v1/members/:id. */
export const memberPathParams = z.strictObject({
  id: z.uuid({ message: 'must be a member id (a UUID)' }),
});

/** Body of POST /v1/members. */
export const addMemberBody = z.strictObject({
  email: z.email().max(320),
  role,
});

/** Query of GET /v1/audit. */
export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(500).optional(),
});

const TOKENS_PER_MINUTE = "must be a whole number of tokens per minute from 0 (unlimited) to 1000000000, or null to use the inference service's default";

/** Body of PUT /v1/quotas: null restores the platform default. */
export const setQuotasBody = z.strictObject({
  maxConcurrentRuns: z.int().min(0).max(100_000).nullable().optional(),
  maxSamplesPerDay: z.int().min(0).max(1_000_000_000).nullable().optional(),
  tokensPerMinute: z
    .int({ message: TOKENS_PER_MINUTE })
    .min(0, { message: TOKENS_PER_MINUTE })
    .max(1_000_000_000, { message: TOKENS_PER_MINUTE })
    .nullable()
    .optional()
    .describe("Inference tokens per minute (prompt + max tokens, settled on use); 0 = unlimited, null = the inference service's default"),
});

const keyJson = z.object({
  id: z.string().describe('lmr_<public id>: the key\'s visible part, safe to log'),
  name: z.string(),
  role,
  memberId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: isoTime,
  lastUsedAt: isoTime.describe('Updated at most once a minute'),
  revokedAt: isoTime,
});

const memberJson = z.object({ id: z.uuid(), email: z.string(), role, createdAt: z.iso.datetime() });

const auditJson = z.object({
  id: z.uuid(),
  action: z.string().describe('run.start, run.cancel, key.create, key.revoke, member.add'),
  actor: z.string().describe('The key that acted (lmr_<public id>)'),
  target: z.string().describe('The run id, key id or member it acted on'),
  detail: z.unknown().nullable(),
  createdAt: z.iso.datetime(),
});

/** Response bodies of GET /v1/me and the key, member, audit and quota routes (OpenAPI components). */
export const authResponseSchemas = {
  Me: z.object({
    key: z.string().describe("lmr_<public id>: the caller's key"),
    team: z.string().describe("The key's team"),
    role,
  }),
  ApiKey: keyJson,
  CreatedApiKey: z.object({ key: keyJson, secret: z.string().describe('The full key: shown only in this answer; store it now') }),
  ApiKeyEnvelope: z.object({ key: keyJson }),
  ApiKeyList: z.object({ keys: z.array(keyJson) }),
  Member: memberJson,
  MemberEnvelope: z.object({ member: memberJson }),
  RemovedMember: z.object({ member: memberJson, revokedKeys: z.array(z.string()) }),
  MemberList: z.object({ members: z.array(memberJson) }),
  AuditPage: z.object({ entries: z.array(auditJson), nextCursor }),
  Quotas: z.object({
    quotas: z.object({
      maxConcurrentRuns: z.int(),
      maxSamplesPerDay: z.int(),
      activeRuns: z.int(),
      samplesLast24h: z.int(),
      tokensPerMinute: z.int().describe('Inference tokens per minute in force for the team; 0 = unlimited'),
      tokensPerMinuteSource: z.enum(['team', 'service']).describe("team: the team's own (PUT /v1/quotas); service: the inference service's default"),
    }),
  }),
};
