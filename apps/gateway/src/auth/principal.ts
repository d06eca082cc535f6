import type { FastifyRequest } from 'fastify';
import type { RoleName } from './api-key';

/** Who a request acts as: resolved from its API key by the guard, before any handler runs. */
export interface Principal {
  keyId: string;
  /** `lmr_<publicId>`: how logs and the audit log name the actor. */
  actor: string;
  teamId: string;
  teamName: string;
  role: RoleName;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** Attaches the authenticated principal to a request (the guard's job). */
export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The principal of an authenticated request; a handler reached without one is a wiring bug, not a client error. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new Error(`no principal on ${request.method} ${request.url}: the route lacks an @Access role`);
  return principal;
}
