import type { FastifyRequest } from 'fastify';
import { PlatformError } from '@lemur/shared-errors';

const TEAM = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The team a request acts for. Until API keys land, the `x-lemur-team` header names it (default `local`); this is the
 * one place to replace with key-based authentication.
 */
export function teamOf(request: FastifyRequest): string {
  const header = request.headers['x-lemur-team'];
  const team = (Array.isArray(header) ? header[0] : header) ?? 'local';
  if (!TEAM.test(team)) throw PlatformError.invalid('x-lemur-team', 'must be a lowercase team name (a-z, 0-9, -)');
  return team;
}
