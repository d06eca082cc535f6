import { Controller, Get, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Access } from './access.decorator';
import { principalOf } from './principal';

/** Who the caller's key acts as, so a client (the web UI) offers only what the key's role may do. */
@Controller('v1')
export class MeController {
  @Get('me')
  @Access('viewer')
  me(@Req() req: FastifyRequest) {
    const { actor, teamName, role } = principalOf(req);
    return { key: actor, team: teamName, role };
  }
}
