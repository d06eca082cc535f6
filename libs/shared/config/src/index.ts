export { parseEnv, portSchema, logLevelSchema } from './parse-env';
