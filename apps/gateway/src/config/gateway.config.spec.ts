import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './gateway.config';

describe('loadGatewayConfig', () => {
  it('has defaults for a local run', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      evalAddr: '127.0.0.1:50053',
      inferenceAddr: '127.0.0.1:50051',
      bodyLimitBytes: 1024 * 1024,
      logLevel: 'info',
    });
  });

  it('reads the environment', () => {
    const config = loadGatewayConfig({ GATEWAY_PORT: '9000', GATEWAY_BODY_LIMIT_BYTES: '2048', EVAL_ADDR: 'eval:50053', LOG_LEVEL: 'debug' });
    expect(config).toMatchObject({ port: 9000, bodyLimitBytes: 2048, evalAddr: 'eval:50053', logLevel: 'debug' });
  });

  it('names every bad variable', () => {
    expect(() => loadGatewayConfig({ GATEWAY_PORT: 'eighty', LOG_LEVEL: 'loud' })).toThrow(/GATEWAY_PORT[\s\S]*LOG_LEVEL/);
  });
});
