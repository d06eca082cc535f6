import { parseArgs } from 'node:util';
import { createLogger } from '@lemur/shared-logging';
import { recordedAlfworldBackend, tinyHouseholdBackend } from './environment-backends';
import { EnvironmentServer } from './environment-server';

const USAGE = `Serves an environment over the environment-server protocol (docs/environment-protocol.md).

  node --import tsx apps/eval/src/environment/serve-environment.ts --recorded <MINT run dir> [--also <run dir> ...] [--port 8300]
  node --import tsx apps/eval/src/environment/serve-environment.ts --tiny [--port 8300]

Example (the published Lemur-70B-Chat ALFWorld games, other runs filling in observations):
  node --import tsx apps/eval/src/environment/serve-environment.ts \\
    --recorded ../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=None/max5_p2+tool+cd \\
    --also ../shared/datasets/mint-bench/data/outputs/gpt-3.5-turbo-0613/F=None/max5_p2+tool+cd
then run the eval service with LEMUR_ENVIRONMENT_URL=http://127.0.0.1:8300.`;

/** Starts an environment server from the command line; prints its URL. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      recorded: { type: 'string' },
      also: { type: 'string', multiple: true },
      tiny: { type: 'boolean' },
      port: { type: 'string', default: '8300' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || (values.recorded === undefined) === (values.tiny !== true)) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const logger = createLogger('environment-server');
  const backend = values.recorded !== undefined ? recordedAlfworldBackend(values.recorded, values.also ?? []) : tinyHouseholdBackend();
  const server = new EnvironmentServer(backend, { onError: (err) => logger.error({ err }, 'environment backend failed') });
  const url = await server.listen(Number(values.port), values.host);
  logger.info({ url, environment: backend.name, tasks: backend.tasks }, 'environment server listening');
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
