// The environment-server protocol (docs/environment-protocol.md): HTTP JSON, one session per episode.
//   POST /reset {task_id}            -> 200 {session, observation, info}
//   POST /step {session, action}     -> 200 {observation, reward, done, info}
//   DELETE /sessions/:id             -> 204
//   GET /health                      -> 200 {status: 'ok', environment, tasks}
// Errors: non-2xx with {error: {code, message}}; codes below.

/** Why an environment-server request failed; the HTTP status for each is in ENVIRONMENT_ERROR_STATUS. */
export enum EnvironmentErrorCode {
  BAD_REQUEST = 'BAD_REQUEST',
  TASK_NOT_FOUND = 'TASK_NOT_FOUND',
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
  TOO_MANY_SESSIONS = 'TOO_MANY_SESSIONS',
  STEP_TIMEOUT = 'STEP_TIMEOUT',
  /** Client side only: the server did not answer in time, refused the connection, or answered with something else. */
  UNAVAILABLE = 'UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

/** The HTTP status an environment server answers each error code with. */
export const ENVIRONMENT_ERROR_STATUS: Readonly<Record<EnvironmentErrorCode, number>> = {
  [EnvironmentErrorCode.BAD_REQUEST]: 400,
  [EnvironmentErrorCode.TASK_NOT_FOUND]: 404,
  [EnvironmentErrorCode.SESSION_NOT_FOUND]: 404,
  [EnvironmentErrorCode.TOO_MANY_SESSIONS]: 429,
  [EnvironmentErrorCode.STEP_TIMEOUT]: 504,
  [EnvironmentErrorCode.UNAVAILABLE]: 503,
  [EnvironmentErrorCode.INTERNAL]: 500,
};

/** An environment-protocol failure with its code (server side: what to answer; client side: what came back). */
export class EnvironmentException extends Error {
  override readonly name = 'EnvironmentException';
  constructor(
    readonly code: EnvironmentErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Extra facts of a step; `won` is the game's own success flag (ALFWorld's info["won"]). */
export interface EnvironmentInfo {
  won?: boolean;
  [key: string]: unknown;
}

export interface ResetRequest {
  task_id: string;
}

export interface ResetResponse {
  session: string;
  observation: string;
  info: EnvironmentInfo;
}

export interface StepRequest {
  session: string;
  action: string;
}

export interface StepResponse {
  observation: string;
  reward: number;
  done: boolean;
  info: EnvironmentInfo;
}

export interface HealthResponse {
  status: 'ok';
  /** What the server serves, e.g. 'alfworld-recorded' or 'tiny-household'. */
  environment: string;
  tasks: number;
}

/** The most a command may be: environment commands are short text. */
export const MAX_ACTION_CHARS = 4096;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): EnvironmentException {
  return new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, message);
}

/** Validates a /reset body. */
export function parseResetRequest(body: unknown): ResetRequest {
  if (!isRecord(body)) throw bad('the body must be a JSON object like {"task_id": "..."}');
  const taskId = body['task_id'];
  if (typeof taskId !== 'string' || taskId.trim() === '') throw bad('task_id must be a non-empty string');
  return { task_id: taskId };
}

/** Validates a /step body. */
export function parseStepRequest(body: unknown): StepRequest {
  if (!isRecord(body)) throw bad('the body must be a JSON object like {"session": "...", "action": "..."}');
  const { session, action } = body;
  if (typeof session !== 'string' || session === '') throw bad('session must be the non-empty string /reset returned');
  if (typeof action !== 'string') throw bad('action must be a string');
  if (action.length > MAX_ACTION_CHARS) throw bad(`action is ${action.length} characters; at most ${MAX_ACTION_CHARS}`);
  return { session, action };
}

function parseInfo(value: unknown, what: string): EnvironmentInfo {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `${what}: info must be an object`);
  if (value['won'] !== undefined && typeof value['won'] !== 'boolean') throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `${what}: info.won must be a boolean`);
  return value as EnvironmentInfo;
}

/** Validates what a server answered to /reset (client side: a malformed answer is UNAVAILABLE). */
export function parseResetResponse(body: unknown): ResetResponse {
  const what = 'the environment server answered /reset with an unexpected body';
  if (!isRecord(body) || typeof body['session'] !== 'string' || typeof body['observation'] !== 'string') {
    throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `${what} (want {session, observation, info})`);
  }
  return { session: body['session'], observation: body['observation'], info: parseInfo(body['info'], what) };
}

/** Validates what a server answered to /step. */
export function parseStepResponse(body: unknown): StepResponse {
  const what = 'the environment server answered /step with an unexpected body';
  if (!isRecord(body) || typeof body['observation'] !== 'string' || typeof body['reward'] !== 'number' || typeof body['done'] !== 'boolean') {
    throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `${what} (want {observation, reward, done, info})`);
  }
  return { observation: body['observation'], reward: body['reward'], done: body['done'], info: parseInfo(body['info'], what) };
}

/** Reads an error body; anything else becomes UNAVAILABLE naming the HTTP status. */
export function parseErrorBody(status: number, body: unknown): EnvironmentException {
  const error = isRecord(body) ? body['error'] : undefined;
  if (isRecord(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string' && error['code'] in ENVIRONMENT_ERROR_STATUS) {
    return new EnvironmentException(error['code'] as EnvironmentErrorCode, error['message']);
  }
  return new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `the environment server answered HTTP ${status} without a protocol error body`);
}

/**
 * A tool function the episode's Python session defines, sending one command per call: `action` is a template whose
 * `{param}` fields are the call's arguments as Python `str()` renders them.
 */
export interface EnvironmentTool {
  name: string;
  params: readonly string[];
  action: string;
}

/** The environment's answers during one `<execute>` cell, as the episode needs them. */
export interface EnvironmentOutcome {
  /** Commands sent during the cell. */
  steps: number;
  /** Whether any step of the cell reported done (MINT's ALFWorld success test). */
  done: boolean;
  /** Whether any step reported info.won. */
  won: boolean;
  /** Largest reward seen in the cell. */
  reward: number;
}
