import { describe, expect, it } from 'vitest';
import { parseEngineLoad } from './engine-metrics';

const page = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="m",engine="0"} 3
vllm:num_requests_running{model_name="m",engine="1"} 2
vllm:num_requests_running{model_name="other",engine="0"} 7
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="m",engine="0"} 4 1712345678000
vllm:kv_cache_usage_perc{model_name="m",engine="0"} 0.5
vllm:kv_cache_usage_perc{model_name="m",engine="1"} 0.7
vllm:prefix_cache_hits_total{model_name="m"} 1e3
`;

describe('parseEngineLoad', () => {
  it.each([
    { name: 'sums running/waiting over engines and averages KV use, for one model', text: page, model: 'm', expected: { running: 5, waiting: 4, kvCacheUsage: 0.6 } },
    { name: 'without a model, every series counts', text: page, model: undefined, expected: { running: 12, waiting: 4, kvCacheUsage: 0.6 } },
    {
      name: 'accepts the older gpu_cache_usage_perc name',
      text: 'vllm:num_requests_running 1\nvllm:gpu_cache_usage_perc 0.25\n',
      model: 'm',
      expected: { running: 1, waiting: 0, kvCacheUsage: 0.25 },
    },
    { name: 'a page without vLLM gauges gives nothing', text: 'process_cpu_seconds_total 3\n', model: undefined, expected: undefined },
  ])('$name', ({ text, model, expected }) => {
    const load = parseEngineLoad(text, model);
    if (expected === undefined) expect(load).toBeUndefined();
    else {
      expect(load!.running).toBe(expected.running);
      expect(load!.waiting).toBe(expected.waiting);
      expect(load!.kvCacheUsage).toBeCloseTo(expected.kvCacheUsage);
    }
  });
});
