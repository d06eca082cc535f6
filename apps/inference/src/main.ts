import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { startTracing } from '@lemur/shared-tracing';
import { loadInferenceConfig } from './config/inference.config';
import { startInference } from './inference.app';

const config = loadInferenceConfig();
// Before anything else runs, so every span and log line of the process belongs to it.
const tracing = startTracing({
  serviceName: 'inference',
  config: config.tracing ?? { enabled: false, sampleRatio: 1 },
  logger: createLogger('inference', config.logLevel).child({ context: 'Tracing' }),
});
startInference(config)
  .then((running) =>
    closeOnSignals(
      async () => {
        await running.close();
        await tracing.shutdown();
      },
      createLogger('inference', config.logLevel),
      { parentPid: config.parentPid },
    ),
  )
  .catch((err: unknown) => {
    createLogger('inference').fatal({ err }, 'inference failed to start');
    process.exit(1);
  });
