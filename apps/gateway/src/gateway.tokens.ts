/** Injection tokens of the gateway's gRPC clients. */
export const EVAL_CLIENT = Symbol('EVAL_CLIENT');
export const INFERENCE_CLIENT = Symbol('INFERENCE_CLIENT');
/** Injection token of the platform's version string (shown in the OpenAPI document). */
export const PLATFORM_VERSION = Symbol('PLATFORM_VERSION');
