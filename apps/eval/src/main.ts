import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { startTracing } from '@lemur/shared-tracing';
import { loadEvalConfig } from './config/eval.config';
import { startEval } from './eval.app';

const config = loadEvalConfig();
// Before anything else runs, so every span and log line of the process belongs to it.
const tracing = startTracing({
  serviceName: 'eval',
  config: config.tracing ?? { enabled: false, sampleRatio: 1 },
  logger: createLogger('eval', config.logLevel).child({ context: 'Tracing' }),
});
startEval(config)
  .then((running) =>
    closeOnSignals(
      async () => {
        await running.close();
        await tracing.shutdown();
      },
      createLogger('eval', config.logLevel),
      { parentPid: config.parentPid },
    ),
  )
  .catch((err: unknown) => {
    createLogger('eval').fatal({ err }, 'eval failed to start');
    process.exit(1);
  });
