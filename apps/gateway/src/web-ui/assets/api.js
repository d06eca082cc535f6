// The REST API as the UI uses it. The key lives in sessionStorage only (this tab, until it closes or the user logs
// out), with its team and role beside it; it travels in the Authorization header, never in a URL, and is never logged.

import { forgetTrails } from './page-trail.js';

const KEY = 'lemur.apiKey';
const TEAM = 'lemur.team';
const ROLE = 'lemur.role';
const ROLES = ['viewer', 'runner', 'admin'];

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

/** Keeps the key with the team and role GET /v1/me answered for it. */
export function setApiKey(key, me) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(TEAM, me.team);
  sessionStorage.setItem(ROLE, me.role);
}

/** The session key's team and role, or null for a session kept before the UI asked for them. */
export function identity() {
  const team = sessionStorage.getItem(TEAM);
  const role = sessionStorage.getItem(ROLE);
  return team !== null && ROLES.includes(role) ? { team, role } : null;
}

/**
 * Whether to offer what needs `role`. Only a hint: the API decides, so a key whose role is unknown (an older session)
 * or was lowered since login is offered it and shown the API's refusal.
 */
export function mayAct(role) {
  const me = identity();
  return me === null || ROLES.indexOf(me.role) >= ROLES.indexOf(role);
}

export function logout() {
  for (const name of [KEY, TEAM, ROLE]) sessionStorage.removeItem(name);
  forgetTrails();
}

/** An error answer of the API: `code` and `message` as the gateway sent them, and the HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET a path of the API (e.g. `/v1/runs?limit=50`) with the session's key (or `key`); JSON back, ApiError on failure. */
export function get(path, key = apiKey()) {
  return send('GET', path, key);
}

/** POST to a path of the API without a body (an action such as `/v1/runs/ID/cancel`); JSON back, ApiError on failure. */
export function post(path) {
  return send('POST', path, apiKey());
}

/** DELETE a resource of the API; ApiError on failure (a 204 answers `{}`). */
export function del(path) {
  return send('DELETE', path, apiKey());
}

async function send(method, path, key) {
  if (!key) throw new ApiError(401, 'UNAUTHENTICATED', 'log in with an API key first');
  let response;
  try {
    response = await fetch(path, { method, headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'UNREACHABLE', 'the gateway did not answer; check that the platform is running, then retry');
  }
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : { code: `HTTP_${response.status}`, message: response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  if (body === undefined) throw new ApiError(response.status, 'BAD_RESPONSE', 'the gateway answered something that is not JSON');
  return body;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const s = q.toString();
  return s ? `?${s}` : '';
}
