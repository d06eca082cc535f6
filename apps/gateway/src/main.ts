import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { loadGatewayConfig } from './config/gateway.config';
import { startGateway } from './gateway.app';

const config = loadGatewayConfig();
startGateway(config)
  .then((running) => closeOnSignals(running.close, createLogger('gateway', config.logLevel), { parentPid: config.parentPid }))
  .catch((err: unknown) => {
    createLogger('gateway').fatal({ err }, 'gateway failed to start');
    process.exit(1);
  });
