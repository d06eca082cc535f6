import { describe, expect, it } from 'vitest';
import { loadSandboxConfig } from './sandbox.config';

describe('exec pool settings', () => {
  it('default to 4 pre-started sandboxes per language, started 2 at a time after 10 quiet ms, and 0 turns the pool off', () => {
    expect(loadSandboxConfig({}).execPool).toEqual({ size: 4, parallelStarts: 2, quietMs: 10 });
    expect(loadSandboxConfig({ SANDBOX_EXEC_POOL_SIZE: '0', SANDBOX_EXEC_POOL_STARTS: '1', SANDBOX_EXEC_POOL_QUIET_MS: '0' }).execPool).toEqual({ size: 0, parallelStarts: 1, quietMs: 0 });
    expect(() => loadSandboxConfig({ SANDBOX_EXEC_POOL_QUIET_MS: '-5' })).toThrow(/SANDBOX_EXEC_POOL_QUIET_MS/);
  });

  it('name the variable when a value is out of range or not a number', () => {
    expect(() => loadSandboxConfig({ SANDBOX_EXEC_POOL_SIZE: '65' })).toThrow(/SANDBOX_EXEC_POOL_SIZE/);
    expect(() => loadSandboxConfig({ SANDBOX_EXEC_POOL_SIZE: 'many' })).toThrow(/SANDBOX_EXEC_POOL_SIZE/);
    expect(() => loadSandboxConfig({ SANDBOX_EXEC_POOL_SIZE: '-1' })).toThrow(/SANDBOX_EXEC_POOL_SIZE/);
    expect(() => loadSandboxConfig({ SANDBOX_EXEC_POOL_STARTS: '0' })).toThrow(/SANDBOX_EXEC_POOL_STARTS/);
  });
});
