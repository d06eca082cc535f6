/** Injection tokens of the gateway's gRPC clients. */
export const EVAL_CLIENT = Symbol('EVAL_CLIENT');
export const INFERENCE_CLIENT = Symbol('INFERENCE_CLIENT');
