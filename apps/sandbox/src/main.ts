import { closeOnSignals } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { startTracing } from '@lemur/shared-tracing';
import { loadSandboxConfig } from './config/sandbox.config';
import { closeInheritedDescriptors } from './local/inherited-descriptors';
import { startSandbox } from './sandbox.app';

const config = loadSandboxConfig();
// Before any sandbox starts: nothing the launcher leaked to this process may reach one through the chains it spawns.
const leaked = closeInheritedDescriptors(config.ipcChannelFd !== undefined ? [config.ipcChannelFd] : []);
// Before anything else runs, so every span and log line of the process belongs to it.
const tracing = startTracing({
  serviceName: 'sandbox',
  config: config.tracing ?? { enabled: false, sampleRatio: 1 },
  logger: createLogger('sandbox', config.logLevel).child({ context: 'Tracing' }),
});
if (leaked.length > 0) {
  createLogger('sandbox', config.logLevel).warn({ fds: leaked }, 'closed descriptors inherited without close-on-exec, so no sandbox gets them');
}
startSandbox(config)
  .then((running) =>
    closeOnSignals(
      async () => {
        await running.close();
        await tracing.shutdown();
      },
      createLogger('sandbox', config.logLevel),
      { parentPid: config.parentPid },
    ),
  )
  .catch((err: unknown) => {
    createLogger('sandbox').fatal({ err }, 'sandbox failed to start');
    process.exit(1);
  });
