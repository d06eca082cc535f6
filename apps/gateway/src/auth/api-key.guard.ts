import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { API_KEY_AUTHENTICATOR } from '../gateway.tokens';
import { ACCESS_KEY, type AccessRule } from './access.decorator';
import type { ApiKeyAuthenticator } from './api-key-authenticator.service';
import { setPrincipal } from './principal';

/**
 * Runs before every route: public routes pass, every other one needs a valid key whose role covers the route's
 * `@Access` rule. A route without a rule is treated as admin-only, so a forgotten decorator fails closed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(API_KEY_AUTHENTICATOR) private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]) ?? 'admin';
    if (rule === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.authenticate(request.headers.authorization);
    this.authenticator.authorize(principal, rule);
    setPrincipal(request, principal);
    return true;
  }
}
