import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal';

/** The team a request acts for: the team of its API key, resolved by ApiKeyGuard (never a client-chosen header). */
export function teamOf(request: FastifyRequest): string {
  return principalOf(request).teamName;
}
