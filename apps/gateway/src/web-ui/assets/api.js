// The REST API as the UI uses it. The key lives in sessionStorage only (this tab, until it closes or the user logs
// out); it travels in the Authorization header, never in a URL, and is never logged.

import { forgetTrails } from './page-trail.js';

const KEY = 'lemur.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function logout() {
  sessionStorage.removeItem(KEY);
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
