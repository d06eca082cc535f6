import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { startTracing } from '@lemur/shared-tracing';
import { loadGatewayConfig } from './config/gateway.config';
import { startGateway } from './gateway.app';

const config = loadGatewayConfig();
// Before anything else runs, so every span and log line of the process belongs to it.
const tracing = startTracing({
  serviceName: 'gateway',
  config: config.tracing ?? { enabled: false, sampleRatio: 1 },
  logger: createLogger('gateway', config.logLevel).child({ context: 'Tracing' }),
});
startGateway(config)
  .then((running) =>
    closeOnSignals(
      async () => {
        await running.close();
        await tracing.shutdown();
      },
      createLogger('gateway', config.logLevel),
      { parentPid: config.parentPid },
    ),
  )
  .catch((err: unknown) => {
    createLogger('gateway').fatal({ err }, 'gateway failed to start');
    process.exit(1);
  });
