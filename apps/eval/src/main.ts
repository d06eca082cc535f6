import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { loadEvalConfig } from './config/eval.config';
import { startEval } from './eval.app';

const config = loadEvalConfig();
startEval(config)
  .then((running) => closeOnSignals(running.close, createLogger('eval', config.logLevel), { parentPid: config.parentPid }))
  .catch((err: unknown) => {
    createLogger('eval').fatal({ err }, 'eval failed to start');
    process.exit(1);
  });
