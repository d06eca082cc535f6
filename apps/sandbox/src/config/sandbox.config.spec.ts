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

describe('scratch directories (SANDBOX_SCRATCH_DIRS)', () => {
  it('are none by default and reach the Kubernetes backend too', () => {
    expect(loadSandboxConfig({}).scratchDirs).toEqual([]);
    const config = loadSandboxConfig({ SANDBOX_SCRATCH_DIRS: '/testbed,/system,/backup', SANDBOX_BACKEND: 'kubernetes' });
    expect(config.scratchDirs).toEqual(['/testbed', '/system', '/backup']);
    expect(config.kubernetes?.scratchDirs).toEqual(['/testbed', '/system', '/backup']);
  });

  it('refuse a hostile path at start-up, naming the variable', () => {
    for (const bad of ['/', '/etc', '/usr/lib', '/testbed/../proc', 'testbed', '/workspace']) {
      expect(() => loadSandboxConfig({ SANDBOX_SCRATCH_DIRS: bad })).toThrow(/SANDBOX_SCRATCH_DIRS/);
    }
  });
});
