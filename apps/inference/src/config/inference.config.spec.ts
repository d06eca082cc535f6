import { describe, expect, it } from 'vitest';
import { loadInferenceConfig } from './inference.config';

const SECRET = 'hunter2-do-not-print';

function refusal(env: Record<string, string>): string {
  try {
    loadInferenceConfig({ LEMUR_MODELS_FILE: 'models.json', INFERENCE_KUBERNETES: 'true', ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('server URLs in the config carry no credentials', () => {
  it.each([
    ['INFERENCE_KUBERNETES_SERVER', `https://admin:${SECRET}@10.0.0.1:6443`, /carries a username or password.*INFERENCE_KUBECONFIG/],
    ['INFERENCE_KUBERNETES_SERVER', `https://10.0.0.1:6443?token=${SECRET}`, /has a query string or fragment.*INFERENCE_KUBECONFIG/],
  ])('refuses %s=%s, naming the variable and not the secret', (name, url, reason) => {
    const message = refusal({ [name]: url });
    const line = message.split('\n').find((l) => l.trimStart().startsWith(`${name}: `));
    expect(line).toMatch(reason);
    expect(message).not.toContain(SECRET);
  });

  it('reports a URL that is not one once, by the URL check', () => {
    const message = refusal({ INFERENCE_KUBERNETES_SERVER: `not a url ${SECRET}` });
    expect(message.split('\n').filter((l) => l.includes('INFERENCE_KUBERNETES_SERVER'))).toHaveLength(1);
    expect(message).not.toContain(SECRET);
  });

  it('takes plain server URLs as given', () => {
    const config = loadInferenceConfig({
      LEMUR_MODELS_FILE: 'models.json',
      INFERENCE_KUBERNETES: 'true',
      INFERENCE_KUBERNETES_SERVER: 'https://10.0.0.1:6443',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/',
    });
    expect(config.kubernetes?.server).toBe('https://10.0.0.1:6443');
    expect(config.tracing).toMatchObject({ enabled: true, otlpTracesUrl: 'http://otel:4318/v1/traces' });
  });
});

describe('response cache settings', () => {
  const base = { LEMUR_MODELS_FILE: 'models.json', DATABASE_URL: 'postgresql://lemur@127.0.0.1:5432/lemur' };

  it('reads the keys other replicas stored every 5 s by default, or as INFERENCE_CACHE_KEYS_REFRESH_MS says', () => {
    expect(loadInferenceConfig(base).cache?.refreshKeysEveryMs).toBe(5_000);
    expect(loadInferenceConfig({ ...base, INFERENCE_CACHE_KEYS_REFRESH_MS: '250' }).cache?.refreshKeysEveryMs).toBe(250);
  });

  it('refuses a refresh interval below 100 ms, naming the variable', () => {
    expect(() => loadInferenceConfig({ ...base, INFERENCE_CACHE_KEYS_REFRESH_MS: '10' })).toThrow(/INFERENCE_CACHE_KEYS_REFRESH_MS/);
  });
});

describe('team quota settings', () => {
  const base = { LEMUR_MODELS_FILE: 'models.json', DATABASE_URL: 'postgresql://lemur@127.0.0.1:5432/lemur' };

  it('reads the teams\' own quotas every 5 s by default, or as INFERENCE_TEAM_QUOTAS_REFRESH_MS says, with the cache off too', () => {
    expect(loadInferenceConfig(base).teamQuotas).toEqual({ databaseUrl: base.DATABASE_URL, refreshEveryMs: 5_000 });
    expect(loadInferenceConfig({ ...base, INFERENCE_CACHE: 'off', INFERENCE_TEAM_QUOTAS_REFRESH_MS: '250' }).teamQuotas?.refreshEveryMs).toBe(250);
    expect(() => loadInferenceConfig({ ...base, INFERENCE_TEAM_QUOTAS_REFRESH_MS: '10' })).toThrow(/INFERENCE_TEAM_QUOTAS_REFRESH_MS/);
  });

  it('has none without a database: the configured limits alone apply', () => {
    expect(loadInferenceConfig({ LEMUR_MODELS_FILE: 'models.json' }).teamQuotas).toBeUndefined();
  });
});

describe('upstream time limits', () => {
  const base = { LEMUR_MODELS_FILE: 'models.json' };

  it('waits 5 min for a replica first byte and 10 min for a whole call by default, or as the environment says', () => {
    expect(loadInferenceConfig(base)).toMatchObject({ firstByteTimeoutMs: 300_000, upstreamTimeoutMs: 600_000 });
    expect(loadInferenceConfig({ ...base, INFERENCE_FIRST_BYTE_TIMEOUT_MS: '250', INFERENCE_UPSTREAM_TIMEOUT_MS: '1000' })).toMatchObject({
      firstByteTimeoutMs: 250,
      upstreamTimeoutMs: 1_000,
    });
  });

  it('refuses a first-byte limit that is not a whole number of at least 100 ms, naming the variable', () => {
    for (const bad of ['50', '2.5', 'soon']) {
      expect(() => loadInferenceConfig({ ...base, INFERENCE_FIRST_BYTE_TIMEOUT_MS: bad })).toThrow(/INFERENCE_FIRST_BYTE_TIMEOUT_MS/);
    }
  });

  it('refuses a first-byte limit the whole-call limit would always cut first, naming both variables', () => {
    for (const firstByte of ['120000', '200000']) {
      expect(() => loadInferenceConfig({ ...base, INFERENCE_UPSTREAM_TIMEOUT_MS: '120000', INFERENCE_FIRST_BYTE_TIMEOUT_MS: firstByte })).toThrow(
        /INFERENCE_FIRST_BYTE_TIMEOUT_MS: must be below INFERENCE_UPSTREAM_TIMEOUT_MS \(120000\)/,
      );
    }
  });
});
