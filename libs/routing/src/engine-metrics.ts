import { type EngineLoad } from './router';

/** One sample of Prometheus text exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: string;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace === -1 ? line.indexOf(' ') : line.indexOf(' ', line.lastIndexOf('}'));
    if (space === -1) continue;
    const name = brace === -1 || brace > space ? line.slice(0, space) : line.slice(0, brace);
    const labels = brace === -1 || brace > space ? '' : line.slice(brace + 1, line.lastIndexOf('}'));
    // The value may be followed by a timestamp.
    const value = Number(line.slice(space + 1).trim().split(/\s+/)[0]);
    if (!Number.isNaN(value)) samples.push({ name, labels, value });
  }
  return samples;
}

function matchesModel(labels: string, model: string | undefined): boolean {
  return model === undefined || !labels.includes('model_name=') || labels.includes(`model_name="${model}"`);
}

/**
 * Reads the load gauges from a vLLM `/metrics` page: running and waiting summed over engines, KV-cache use averaged
 * (the older `vllm:gpu_cache_usage_perc` name is accepted). `model` keeps only that served model's series when the
 * server labels them. Undefined when the page has none of these gauges (not a vLLM server).
 */
export function parseEngineLoad(text: string, model?: string): Omit<EngineLoad, 'at'> | undefined {
  let running: number | undefined;
  let waiting: number | undefined;
  const kv: number[] = [];
  const legacyKv: number[] = [];
  for (const s of parseSamples(text)) {
    if (!matchesModel(s.labels, model)) continue;
    if (s.name === 'vllm:num_requests_running') running = (running ?? 0) + s.value;
    else if (s.name === 'vllm:num_requests_waiting') waiting = (waiting ?? 0) + s.value;
    else if (s.name === 'vllm:kv_cache_usage_perc') kv.push(s.value);
    else if (s.name === 'vllm:gpu_cache_usage_perc') legacyKv.push(s.value);
  }
  const usage = kv.length > 0 ? kv : legacyKv;
  if (running === undefined && waiting === undefined && usage.length === 0) return undefined;
  return {
    running: running ?? 0,
    waiting: waiting ?? 0,
    kvCacheUsage: usage.length > 0 ? Math.min(1, Math.max(0, usage.reduce((a, b) => a + b, 0) / usage.length)) : 0,
  };
}
