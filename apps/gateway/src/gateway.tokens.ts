/** Injection tokens of the gateway's gRPC clients. */
export const EVAL_CLIENT = Symbol('EVAL_CLIENT');
export const INFERENCE_CLIENT = Symbol('INFERENCE_CLIENT');
/** Injection token of the gateway's pino logger (for handlers that answer errors themselves, e.g. mid-stream). */
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');
/** Injection token of the platform's version string (shown in the OpenAPI document). */
export const PLATFORM_VERSION = Symbol('PLATFORM_VERSION');
/** Injection token of the API key authenticator. */
export const API_KEY_AUTHENTICATOR = Symbol('API_KEY_AUTHENTICATOR');
/** Injection token of the API key / member repository. */
export const API_KEY_REPOSITORY = Symbol('API_KEY_REPOSITORY');
/** Injection token of the audit log repository. */
export const AUDIT_LOG = Symbol('AUDIT_LOG');
/** Injection token of the per-team run quotas. */
export const RUN_QUOTAS = Symbol('RUN_QUOTAS');
/** Injection token of the quota repository (admins set per-team overrides). */
export const RUN_QUOTA_REPOSITORY = Symbol('RUN_QUOTA_REPOSITORY');
/** Injection token of the web UI's static files. */
export const WEB_UI_ASSETS = Symbol('WEB_UI_ASSETS');
