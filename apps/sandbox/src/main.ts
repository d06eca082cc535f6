import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { loadSandboxConfig } from './config/sandbox.config';
import { startSandbox } from './sandbox.app';

const config = loadSandboxConfig();
startSandbox(config)
  .then((running) => closeOnSignals(running.close, createLogger('sandbox', config.logLevel), { parentPid: config.parentPid }))
  .catch((err: unknown) => {
    createLogger('sandbox').fatal({ err }, 'sandbox failed to start');
    process.exit(1);
  });
