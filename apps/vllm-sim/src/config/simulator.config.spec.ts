import { describe, expect, it } from 'vitest';
import { parseSimulatorConfig, SimulatorConfigError } from './simulator.config';

describe('parseSimulatorConfig', () => {
  it('reads repeated --model flags and defaults', () => {
    const config = parseSimulatorConfig(['--port', '8001', '--model', 'sim-oracle=oracle', '--model', 'sim-wrong=wrong'], {});
    expect(config.options).toMatchObject({
      host: '127.0.0.1',
      port: 8001,
      fast: false,
      models: [
        { name: 'sim-oracle', mode: 'oracle' },
        { name: 'sim-wrong', mode: 'wrong' },
      ],
      timeModel: {},
      faults: {},
    });
    expect(config.logLevel).toBe('info');
  });

  it('takes a replay model with its published run directory', () => {
    const { options } = parseSimulatorConfig(['--model', 'r=replay:/runs/lemur'], {});
    expect(options.models).toEqual([{ name: 'r', mode: 'replay', runDir: '/runs/lemur' }]);
  });

  it('takes scripted rules files and the default answer', () => {
    const { options } = parseSimulatorConfig(['--model', 's=scripted:/tmp/rules.jsonl', '--scripted-default', 'dunno'], {});
    expect(options.models).toEqual([{ name: 's', mode: 'scripted', rulesFile: '/tmp/rules.jsonl', defaultCompletion: 'dunno' }]);
  });

  it('reads the cache geometry from flags and environment variables', () => {
    const { options } = parseSimulatorConfig(['--model', 'm=echo', '--block-size', '32', '--prefix-cache-blocks', '0'], {
      VLLM_SIM_KV_CACHE_BLOCKS: '500',
      VLLM_SIM_PREFIX_CACHE_BLOCKS: '100',
    });
    expect(options).toMatchObject({ blockSize: 32, kvCacheBlocks: 500, prefixCacheBlocks: 0 });
  });

  it.each([
    ['--block-size', '0'],
    ['--kv-cache-blocks', '-1'],
    ['--prefix-cache-blocks', '1.5'],
  ])('rejects %s %s naming the flag', (flag, value) => {
    expect(() => parseSimulatorConfig(['--model', 'm=echo', flag, value], {})).toThrow(new RegExp(flag));
  });

  it('falls back to environment variables, flags winning', () => {
    const { options } = parseSimulatorConfig(['--tpot-ms', '5'], {
      VLLM_SIM_MODELS: 'a=echo, b=oracle',
      VLLM_SIM_TPOT_MS: '9',
      VLLM_SIM_TTFT_MS: '1',
      VLLM_SIM_ERROR_RATE: '0.1',
      VLLM_SIM_CRASH_AFTER: '3',
      VLLM_SIM_MAX_NUM_SEQS: '2',
      VLLM_SIM_FAST: '1',
      LEMUR_DATASETS_DIR: '/data',
    });
    expect(options).toMatchObject({
      models: [
        { name: 'a', mode: 'echo' },
        { name: 'b', mode: 'oracle' },
      ],
      timeModel: { tpotMs: 5, ttftBaseMs: 1 },
      faults: { errorRate: 0.1, crashAfterRequests: 3 },
      maxConcurrentSeqs: 2,
      fast: true,
      datasetsDir: '/data',
    });
  });

  it.each([
    [['--model', 'x=telepathy'], 'unknown mode'],
    [['--model', 'noequals'], 'NAME=MODE'],
    [['--model', 'x=echo:/rules'], 'only scripted and replay'],
    [['--model', 'x=replay'], 'replay needs a run directory'],
    [['--model', 'x=echo', '--error-rate', '2'], '--error-rate must be between 0 and 1'],
    [['--model', 'x=echo', '--port', 'abc'], '--port'],
    [['--model', 'x=echo', '--max-num-seqs', '0'], '--max-num-seqs'],
    [['--model', 'x=echo', '--bogus'], '--help'],
    [[], 'no models configured'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseSimulatorConfig(argv, {})).toThrow(SimulatorConfigError);
    expect(() => parseSimulatorConfig(argv, {})).toThrow(message);
  });

  it('allows --help without models', () => {
    expect(parseSimulatorConfig(['--help'], {}).help).toBe(true);
  });
});
