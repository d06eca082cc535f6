import { resolve } from 'node:path';
import { MINT_WIKIPEDIA_NOT_FOUND } from '@lemur/benchmarks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_TOOL_TEXT } from '../src/worker/agent-tool-provider';
import { PublishedWikipediaToolProvider } from '../src/worker/published-wikipedia-tool-provider';
import { PythonRunnerSessions } from './python-runner-sessions';

const OUTPUTS = resolve(__dirname, '../../../../shared/datasets/mint-bench/data/outputs');
const provider = PublishedWikipediaToolProvider.fromOutputsDir(OUTPUTS);
const sessions = new PythonRunnerSessions();
let session: string;

/** Runs a cell in the session the setup code ran in, failing on any error output. */
async function run(code: string): Promise<string> {
  const { result } = await sessions.runCell(session, code, { wallMs: 20_000 });
  expect(result.stderr).toBe('');
  return result.stdout;
}

/** What the session's wikipedia_search returns for `query`, passed over as JSON so the test's own quoting is safe. */
async function search(query: string): Promise<string> {
  return JSON.parse(await run(`import json\nprint(json.dumps(wikipedia_search(json.loads(${JSON.stringify(JSON.stringify(query))}))))`)) as string;
}

describe('PublishedWikipediaToolProvider in the sandbox session runner', () => {
  beforeAll(async () => {
    session = await sessions.create();
    const setup = await sessions.runCell(session, provider.setupCode(['wikipedia_search']), { wallMs: 20_000 });
    expect(setup.result).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
  afterAll(() => sessions.close(session));

  it('defines only the tools it has, under its recorded name, with the cache embedded compactly', () => {
    expect(provider.name).toBe('published-wikipedia-cache');
    expect(provider.setupCode(['wikipedia_search'])).toMatch(/^import json as _json\n_MINT_WIKIPEDIA = _json\.loads\("/);
    expect(() => provider.setupCode(['web_browse'])).toThrow(/no tool "web_browse"/);
    expect(provider.cache.entries.size).toBeGreaterThan(500);
    // One setup cell, under the sandbox's 1 MiB cell limit with room to spare.
    expect(Buffer.byteLength(provider.wikipediaCode)).toBeLessThan(1_000_000);
    const huge = new Map([...Array(600).keys()].map((i) => [`q${i}`, 'x'.repeat(2000)]));
    expect(() => new PublishedWikipediaToolProvider({ entries: huge, folded: new Map(), calls: 600, conflicts: 0 })).toThrow(/above the sandbox's 1048576-byte cell/);
  });

  it('returns the published text for a known query, exactly and case-folded', async () => {
    const text = provider.cache.entries.get('Scott Derrickson')!;
    expect(text).toMatch(/^Page: Scott Derrickson\n/);
    expect(await search('Scott Derrickson')).toBe(text);
    expect(await search('scott DERRICKSON')).toBe(text);
    // What a model's `print(...)` cell shows: the text itself.
    expect(await run("print(wikipedia_search('Scott Derrickson'))")).toBe(`${text}\n`);
  });

  it("answers an unknown query with MINT's own not-found text", async () => {
    expect(await search('a query no published run made 8f1c')).toBe(MINT_WIKIPEDIA_NOT_FOUND);
  });

  it('is safe for queries with quotes, backslashes, newlines and non-ASCII text', async () => {
    for (const query of [`it's "quoted" \\ back\\slash`, 'line\nbreak', 'Folie à Deux \u2009 漢朝 \u{1F600}', '"""', "'''"]) {
      expect(await search(query)).toBe(provider.cache.entries.get(query) ?? MINT_WIKIPEDIA_NOT_FOUND);
    }
    expect(await search('Folie à Deux')).toBe(provider.cache.entries.get('Folie à Deux'));
  });

  it('falls back to the offline text where the published runs show no not-found wording', async () => {
    const scoped = new PublishedWikipediaToolProvider({ entries: new Map([['q"\\', 'Page: Q\u2028"x"']]), folded: new Map([['q"\\', 'q"\\']]), calls: 1, conflicts: 0 });
    const other = await sessions.create();
    try {
      await sessions.runCell(other, scoped.setupCode(['wikipedia_search']), { wallMs: 20_000 });
      const { result } = await sessions.runCell(other, 'import json\nprint(json.dumps([wikipedia_search(\'q"\\\\\'), wikipedia_search(\'Q"\\\\\'), wikipedia_search("x")]))', { wallMs: 20_000 });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(['Page: Q\u2028"x"', 'Page: Q\u2028"x"', OFFLINE_TOOL_TEXT]);
    } finally {
      await sessions.close(other);
    }
  });
});
