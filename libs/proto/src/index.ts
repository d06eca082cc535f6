/** Generated protobuf-es code for the platform's gRPC contracts (proto/lemur/*). Regenerate with `npm run proto`. */
export * as inferenceV1 from './gen/lemur/inference/v1/inference_pb';
export * as sandboxV1 from './gen/lemur/sandbox/v1/sandbox_pb';
export * as evalV1 from './gen/lemur/eval/v1/eval_pb';
