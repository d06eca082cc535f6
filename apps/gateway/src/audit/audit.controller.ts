import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Access } from '../auth/access.decorator';
import { auditQuery } from '../auth/auth.schema';
import { principalOf } from '../auth/principal';
import { AUDIT_LOG } from '../gateway.tokens';
import { validate } from '../runs/run-request.schema';
import type { AuditLogRepository } from './audit-log.repository';

/** The team's audit log: who started, cancelled or revoked what, newest first (admin only). */
@Controller('v1')
export class AuditController {
  constructor(@Inject(AUDIT_LOG) private readonly audit: AuditLogRepository) {}

  @Get('audit')
  @Access('admin')
  async auditLog(@Req() req: FastifyRequest, @Query() query: unknown) {
    const q = validate(auditQuery, query, 'query');
    const page = await this.audit.page(principalOf(req).teamId, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
    return {
      entries: page.items.map((e) => ({ ...e, detail: e.detail ?? null, createdAt: e.createdAt.toISOString() })),
      nextCursor: page.nextCursor,
    };
  }
}
