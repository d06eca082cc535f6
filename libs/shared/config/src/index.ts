export { parseEnv, portSchema, logLevelSchema } from './parse-env';
export { freePort } from './free-port';
