import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { buildMintWikipediaCache, type ChatMessage, MINT_WIKIPEDIA_NOT_FOUND, type MintWikipediaCache } from '@lemur/benchmarks';
import { type AgentToolProvider, OFFLINE_TOOL_TEXT } from './agent-tool-provider';

// The sandbox refuses a session cell above 1 MiB (session.grpc-handler's MAX_CELL_BYTES): better to stop at start-up.
const MAX_SETUP_BYTES = 1024 * 1024;

/** The histories of every published reasoning episode under mint-bench/data/outputs, all models and settings found. */
export function readPublishedReasoningHistories(outputsDir: string): ChatMessage[][] {
  // Only reasoning sessions had the tool: elsewhere a call is a NameError, not a Wikipedia text.
  const files = readdirSync(outputsDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.split(sep).slice(-3, -2)[0] === 'reasoning' && f.endsWith(`${sep}results.jsonl`))
    .sort();
  return files.flatMap((file) =>
    readFileSync(join(outputsDir, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { state: { history: ChatMessage[] } }).state.history),
  );
}

/**
 * Answers `wikipedia_search` with what MINT's published runs got for the same query (exact, then case-folded), so an
 * offline run sees real Wikipedia text wherever a published run asked the same thing. Other queries get MINT's own
 * "not found" text when the published runs show it, else the offline stub's.
 */
export class PublishedWikipediaToolProvider implements AgentToolProvider {
  readonly name = 'published-wikipedia-cache';
  /** The Python defining `wikipedia_search`, rendered once: the cache travels as one JSON string parsed by json.loads. */
  readonly wikipediaCode: string;

  constructor(readonly cache: MintWikipediaCache) {
    const data = JSON.stringify({ entries: Object.fromEntries(cache.entries), folded: Object.fromEntries(cache.folded) });
    const notFound = [...cache.entries.values()].includes(MINT_WIKIPEDIA_NOT_FOUND) ? MINT_WIKIPEDIA_NOT_FOUND : OFFLINE_TOOL_TEXT;
    // Every escape JSON.stringify writes (\" \\ \n \uXXXX ...) means the same in a Python string literal.
    this.wikipediaCode = [
      'import json as _json',
      `_MINT_WIKIPEDIA = _json.loads(${JSON.stringify(data)})`,
      'def wikipedia_search(query: str) -> str:',
      '    text = _MINT_WIKIPEDIA["entries"].get(query)',
      '    if text is None and isinstance(query, str):',
      '        text = _MINT_WIKIPEDIA["entries"].get(_MINT_WIKIPEDIA["folded"].get(query.lower()))',
      `    return ${JSON.stringify(notFound)} if text is None else text`,
      '',
    ].join('\n');
    const bytes = Buffer.byteLength(this.wikipediaCode);
    if (bytes > MAX_SETUP_BYTES) {
      throw new Error(`tool provider ${this.name}: the cache of ${cache.entries.size} queries renders ${bytes} bytes, above the sandbox's ${MAX_SETUP_BYTES}-byte cell; build it from fewer published runs`);
    }
  }

  /** The cache built from the published trajectories in `outputsDir` (mint-bench/data/outputs). */
  static fromOutputsDir(outputsDir: string): PublishedWikipediaToolProvider {
    return new PublishedWikipediaToolProvider(buildMintWikipediaCache(readPublishedReasoningHistories(outputsDir)));
  }

  setupCode(tools: readonly string[]): string {
    return tools
      .map((tool) => {
        if (tool !== 'wikipedia_search') throw new Error(`tool provider ${this.name} has no tool "${tool}"`);
        return this.wikipediaCode;
      })
      .join('\n');
  }
}
