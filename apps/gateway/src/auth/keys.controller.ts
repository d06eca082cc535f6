import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { API_KEY_AUTHENTICATOR, API_KEY_REPOSITORY, AUDIT_LOG } from '../gateway.tokens';
import { HttpRejection } from '../http/api-error';
import { validate } from '../runs/run-request.schema';
import { Access } from './access.decorator';
import { mintApiKey, roleAllows } from './api-key';
import type { ApiKeyAuthenticator } from './api-key-authenticator.service';
import type { ApiKeyRepository, MemberRecord, StoredKey } from './api-key.repository';
import { addMemberBody, createKeyBody, keyPathParams, memberPathParams } from './auth.schema';
import { principalOf } from './principal';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A key as the API shows it: never its secret or hash. */
export function keyJson(key: StoredKey) {
  return {
    id: `lmr_${key.publicId}`,
    name: key.name,
    role: key.role,
    memberId: key.memberId,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

function memberJson(member: MemberRecord) {
  return { id: member.id, email: member.email, role: member.role, createdAt: member.createdAt.toISOString() };
}

/** The team's API keys and members (admin only): keys are shown in full once, at creation. */
@Controller('v1')
export class KeysController {
  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(API_KEY_AUTHENTICATOR) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(AUDIT_LOG) private readonly audit: AuditLogRepository,
  ) {}

  @Post('keys')
  @HttpCode(201)
  @Access('admin')
  async createKey(@Req() req: FastifyRequest, @Body() body: unknown) {
    const me = principalOf(req);
    const b = validate(createKeyBody, body ?? {}, 'body');
    const member = b.memberId ? await this.keys.findMember(me.teamId, b.memberId) : null;
    if (b.memberId && !member) throw new HttpRejection(404, 'MEMBER_NOT_FOUND', `member ${b.memberId} not found`, 'memberId');
    const role = b.role ?? member?.role ?? 'runner';
    if (member && !roleAllows(member.role, role)) {
      throw new HttpRejection(400, 'INVALID_ARGUMENT', `role: a key of member ${member.email} cannot hold more than the member's role (${member.role})`, 'role');
    }
    const minted = mintApiKey();
    const key = await this.keys.create({
      teamId: me.teamId,
      publicId: minted.publicId,
      secretHash: minted.secretHash,
      name: b.name,
      role,
      ...(b.memberId ? { memberId: b.memberId } : {}),
      ...(b.expiresInDays ? { expiresAt: new Date(Date.now() + b.expiresInDays * DAY_MS) } : {}),
    });
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'key.create', target: `lmr_${key.publicId}`, detail: { name: key.name, role: key.role } });
    return { key: keyJson(key), secret: minted.token };
  }

  @Get('keys')
  @Access('admin')
  async listKeys(@Req() req: FastifyRequest) {
    return { keys: (await this.keys.listForTeam(principalOf(req).teamId)).map(keyJson) };
  }

  @Delete('keys/:id')
  @Access('admin')
  async revokeKey(@Req() req: FastifyRequest, @Param() params: unknown) {
    const me = principalOf(req);
    const publicId = validate(keyPathParams, params, 'path').id.replace(/^lmr_/, '');
    const key = await this.keys.revoke(me.teamId, publicId, new Date());
    // Another team's key answers exactly like a missing one.
    if (!key) throw new HttpRejection(404, 'KEY_NOT_FOUND', `key lmr_${publicId} not found`, 'id');
    this.authenticator.forget(publicId);
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'key.revoke', target: `lmr_${publicId}` });
    return { key: keyJson(key) };
  }

  @Get('members')
  @Access('admin')
  async listMembers(@Req() req: FastifyRequest) {
    return { members: (await this.keys.listMembers(principalOf(req).teamId)).map(memberJson) };
  }

  @Post('members')
  @HttpCode(201)
  @Access('admin')
  async addMember(@Req() req: FastifyRequest, @Body() body: unknown) {
    const me = principalOf(req);
    const b = validate(addMemberBody, body ?? {}, 'body');
    const { member, loweredKeys } = await this.keys.addMember(me.teamId, b.email, b.role);
    for (const publicId of loweredKeys) this.authenticator.forget(publicId);
    await this.audit.record({
      teamId: me.teamId,
      actor: me.actor,
      action: 'member.add',
      target: member.email,
      detail: { role: member.role, ...(loweredKeys.length ? { loweredKeys: loweredKeys.map((id) => `lmr_${id}`) } : {}) },
    });
    return { member: memberJson(member) };
  }

  @Delete('members/:id')
  @Access('admin')
  async removeMember(@Req() req: FastifyRequest, @Param() params: unknown) {
    const me = principalOf(req);
    const { id } = validate(memberPathParams, params, 'path');
    const removed = await this.keys.removeMember(me.teamId, id, new Date());
    if (!removed) throw new HttpRejection(404, 'MEMBER_NOT_FOUND', `member ${id} not found`, 'id');
    // Their keys stop working at once here, and on every other gateway replica when the NOTIFY of the transaction arrives.
    for (const publicId of removed.revokedKeys) this.authenticator.forget(publicId);
    const revokedKeys = removed.revokedKeys.map((k) => `lmr_${k}`);
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'member.remove', target: removed.member.email, detail: { revokedKeys } });
    return { member: memberJson(removed.member), revokedKeys };
  }
}
