import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { loadInferenceConfig } from './config/inference.config';
import { startInference } from './inference.app';

const config = loadInferenceConfig();
startInference(config)
  .then((running) => closeOnSignals(running.close, createLogger('inference', config.logLevel), { parentPid: config.parentPid }))
  .catch((err: unknown) => {
    createLogger('inference').fatal({ err }, 'inference failed to start');
    process.exit(1);
  });
