import { pino } from 'pino';
import { readSimulatorConfig, SIMULATOR_USAGE, SimulatorConfigError } from './config/simulator.config';
import { ScriptedRulesError } from './answers/scripted-answer.policy';
import { startSimulator } from './simulator';

async function main(): Promise<void> {
  let config;
  try {
    config = readSimulatorConfig();
  } catch (err) {
    if (!(err instanceof SimulatorConfigError)) throw err;
    process.stderr.write(`vllm-sim: ${err.message}\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(SIMULATOR_USAGE);
    return;
  }
  const logger = pino({ level: config.logLevel, base: { app: 'vllm-sim' } });
  try {
    const sim = await startSimulator({
      ...config.options,
      logger,
      onCrash: () => {
        logger.warn('exiting: crash fault injected');
        process.exit(1);
      },
    });
    logger.info({ url: sim.url, models: config.options.models.map((model) => model.name) }, 'vllm-sim listening');
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      void sim.close().then(() => process.exit(0));
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    if (config.parentPid !== undefined) {
      // Started by a launcher: leave with it, even if it was killed without a chance to stop us.
      setInterval(() => {
        if (process.ppid !== config.parentPid) shutdown('parent process exited');
      }, 1_000).unref();
    }
  } catch (err) {
    const hint = err instanceof ScriptedRulesError ? 'fix that line of the rules file' : 'check the flags (--help)';
    logger.fatal({ err }, `vllm-sim failed to start: ${(err as Error).message}; ${hint}`);
    process.exit(1);
  }
}

void main();
