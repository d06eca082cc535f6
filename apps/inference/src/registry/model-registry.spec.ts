import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from './model-registry';

const file = {
  models: [
    { name: 'a', endpoints: ['http://r1:8000/', 'http://r2:8000'] },
    { name: 'b', endpoints: ['http://r3:8000'], routingPolicy: 'session-affinity' as const, revision: 'abc123' },
  ],
};

describe('ModelRegistry', () => {
  it('reads routing policy and revision per model, prefix affinity by default', () => {
    const registry = new ModelRegistry(file, {});
    expect(registry.get('a')).toMatchObject({ routingPolicy: 'prefix-affinity', revision: '' });
    expect(registry.get('a').router.urls()).toEqual(['http://r1:8000', 'http://r2:8000']);
    expect(registry.get('b')).toMatchObject({ routingPolicy: 'session-affinity', revision: 'abc123' });
    expect(registry.get('b').router.policy).toBe('session-affinity');
  });

  it("caches a file entry whatever its revision; only the controller's upsert turns the cache off", () => {
    const registry = new ModelRegistry({ models: [{ name: 'f', endpoints: ['http://r1:8000'], revision: 'main', cacheOff: 'says the file' }] } as never, {});
    expect(registry.get('f')).toMatchObject({ revision: 'main', cacheOff: undefined });
    registry.upsert({ name: 'k', endpoints: [], revision: 'org/m@main#0123456789abcdef', cacheOff: "revision 'main' is not a commit sha" });
    expect(registry.get('k').cacheOff).toBe("revision 'main' is not a commit sha");
  });

  it.each([
    [{ models: [{ name: 'x', endpoints: [] }] }, /at least one endpoint/],
    [{ models: [{ name: 'x', endpoints: ['http://r'], routingPolicy: 'random' }] }, /routingPolicy|Invalid option/],
  ])('rejects a bad file entry %j', (entries, message) => {
    expect(() => new ModelRegistry(entries as never, {})).toThrow(message);
  });

  it('upserts a model with no endpoints yet, then fills them in; routing state of surviving replicas is kept', () => {
    const ejected: string[] = [];
    const registry = new ModelRegistry({ models: [] }, {}, { router: { ejectAfterFailures: 1 }, onEject: (m, r) => ejected.push(`${m} ${r}`) });
    registry.upsert({ name: 'k8s', endpoints: [], chat: true });
    expect(registry.get('k8s').router.pick({ prompt: 'x' }, 0)).toBeUndefined();
    registry.setEndpoints('k8s', ['http://10.0.0.1:8000', 'http://10.0.0.2:8000/']);
    const router = registry.get('k8s').router;
    const first = router.pick({ prompt: 'x' }, 0, new Set(['http://10.0.0.2:8000']))!;
    router.begin(first)('failed');
    expect(ejected).toEqual(['k8s http://10.0.0.1:8000']);
    registry.setEndpoints('k8s', ['http://10.0.0.1:8000', 'http://10.0.0.3:8000']);
    const state = new Map(registry.get('k8s').router.snapshot(1).map((e) => [e.url, e.ready]));
    expect(state).toEqual(new Map([['http://10.0.0.1:8000', false], ['http://10.0.0.3:8000', true]]));
  });

  it('updates a model in place: same router unless the policy changes', () => {
    const registry = new ModelRegistry(file, {});
    const before = registry.get('a').router;
    registry.upsert({ name: 'a', endpoints: ['http://r2:8000'], servedModelName: 'served', revision: 'r2' });
    expect(registry.get('a').router).toBe(before);
    expect(registry.get('a')).toMatchObject({ servedModelName: 'served', revision: 'r2' });
    expect(before.urls()).toEqual(['http://r2:8000']);
    registry.upsert({ name: 'a', endpoints: ['http://r2:8000'], routingPolicy: 'load-aware' });
    expect(registry.get('a').router).not.toBe(before);
    expect(registry.get('a').router.policy).toBe('load-aware');
  });

  it('names each replica by its canonical URL, so routing, logs and metric labels agree', () => {
    const registry = new ModelRegistry({ models: [{ name: 'c', endpoints: ['HTTP://R1:80/', 'http://r1', 'https://Api.Example.com:443/v1/'] }] }, {});
    expect(registry.get('c').router.urls()).toEqual(['http://r1', 'https://api.example.com/v1']);
  });

  it('removes a model and reports unknown names', () => {
    const registry = new ModelRegistry(file, {});
    expect(registry.remove('a')).toBe(true);
    expect(registry.remove('a')).toBe(false);
    expect(() => registry.get('a')).toThrow(/unknown model "a"; known models: b/);
    expect(() => registry.setEndpoints('a', [])).toThrow(/unknown model/);
  });

  it.each([
    ['upsert', () => new ModelRegistry(file, {}).upsert({ name: '', endpoints: [] }), 'name'],
    ['setEndpoints', () => new ModelRegistry(file, {}).setEndpoints('a', ['not a url']), 'endpoints'],
  ])('%s rejects bad input naming the field', (_name, call, field) => {
    expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  describe('refuses endpoint URLs that could carry a secret, naming the model, never repeating the secret', () => {
    const refused = [
      ['https://user:hunter2@api.example.com/v1', /model "m": endpoints\[1\] \(https:\/\/api\.example\.com\/v1\) carries a username or password.*"apiKeyEnv"/],
      ['https://api.example.com/v1?api-key=hunter2', /model "m": endpoints\[1\] \(https:\/\/api\.example\.com\/v1\) has a query string/],
      ['ftp://user:hunter2@files.example.com', /model "m": endpoints\[1\] uses ftp:\/\/; only http:\/\/ and https:\/\//],
    ] as const;
    const entry = (url: string) => ({ name: 'm', endpoints: ['http://ok:8000', url] });

    it.each(refused)('in a registry file at start-up: %s', (url, message) => {
      const dir = mkdtempSync(join(tmpdir(), 'lemur-registry-'));
      try {
        const path = join(dir, 'models.json');
        writeFileSync(path, JSON.stringify({ models: [entry(url)] }));
        const error = (() => {
          try {
            ModelRegistry.fromFile(path, {});
          } catch (err) {
            return err as Error;
          }
          throw new Error('expected the file to be refused');
        })();
        expect(error.message).toMatch(message);
        expect(error.message).toContain(`model registry ${path}: models.0.endpoints.1: `);
        expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('hunter2');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it.each(refused)('in registry entries: %s', (url, message) => {
      expect(() => new ModelRegistry({ models: [entry(url)] }, {})).toThrow(message);
    });

    it.each(refused)('by upsert (a LemurModel): %s', (url, message) => {
      const registry = new ModelRegistry({ models: [] }, {});
      let thrown: unknown;
      try {
        registry.upsert(entry(url));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'endpoints.1', message: expect.stringMatching(message) });
      expect(String((thrown as Error).message)).not.toContain('hunter2');
      expect(registry.list()).toEqual([]);
    });

    it.each(refused)('by setEndpoints (endpoint discovery), keeping the endpoints it had: %s', (url, message) => {
      const registry = new ModelRegistry({ models: [{ name: 'm', endpoints: ['http://ok:8000'] }] }, {});
      let thrown: unknown;
      try {
        registry.setEndpoints('m', ['http://ok:8000', url]);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'endpoints', message: expect.stringMatching(message) });
      expect(String((thrown as Error).message)).not.toContain('hunter2');
      expect(registry.get('m').router.urls()).toEqual(['http://ok:8000']);
    });

    it('does not quote a registry file that is not valid JSON (the text near the error could be a key)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'lemur-registry-'));
      try {
        const path = join(dir, 'models.json');
        writeFileSync(path, '{"models": [{"name": "m", "endpoints": [hunter2]}]}');
        expect(() => ModelRegistry.fromFile(path, {})).toThrow(new RegExp(`^model registry ${path}: cannot read JSON \\(not valid JSON( at position \\d+)?\\)$`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
