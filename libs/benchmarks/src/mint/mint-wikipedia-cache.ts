import { type ChatMessage } from '../benchmark';
import { parseMintTurn } from './mint-episode';
import { modelOutputOf, parseObservationTurn } from './mint-published-history';
import { evalPythonExpression, PyEvalError } from './python-literal';

/** What MINT's `wikipedia_search` returned when no page matched, word for word as the published trajectories show it. */
export const MINT_WIKIPEDIA_NOT_FOUND = 'Wikipedia Search Result was found';

/** The texts MINT's `wikipedia_search` returned in published runs, by query. */
export interface MintWikipediaCache {
  /** The query exactly as the tool received it → the text it returned (the most common one where runs differ). */
  entries: Map<string, string>;
  /** The lower-cased query → the exact query answering it (the most-called of those that fold together). */
  folded: Map<string, string>;
  /** Cells that were a single `wikipedia_search(<string>)` call with a published observation. */
  calls: number;
  /** Queries whose published texts differ between calls (Wikipedia changed while the runs were made). */
  conflicts: number;
}

const PRINTED_CALL = /^print\(\s*wikipedia_search\(([\s\S]*)\)\s*\)$/;
const BARE_CALL = /^wikipedia_search\(([\s\S]*)\)$/;
// IPython echoes a bare expression's repr; escapes this reader cannot decode would record a wrong text.
const ECHOED_REPR = /^Out\[\d+\]: ([\s\S]*)$/;
const UNDECODED_ESCAPE = /\\[xuUN]/;

function stringValue(source: string): string | undefined {
  try {
    const value = evalPythonExpression(source);
    return value.type === 'str' ? value.value : undefined;
  } catch (err) {
    if (err instanceof PyEvalError) return undefined;
    throw err;
  }
}

/** The query and the tool's text of one published cell, if it was a single call the tool's text can be read from. */
function readCall(code: string, observation: string): { query: string; text: string } | undefined {
  const trimmed = code.trim();
  const printed = PRINTED_CALL.exec(trimmed);
  const bare = printed === null ? BARE_CALL.exec(trimmed) : null;
  const query = stringValue((printed ?? bare)?.[1] ?? '');
  if (query === undefined) return undefined;
  if (printed !== null) return { query, text: observation };
  const repr = ECHOED_REPR.exec(observation)?.[1];
  if (repr === undefined || UNDECODED_ESCAPE.test(repr)) return undefined;
  const text = stringValue(repr);
  return text === undefined ? undefined : { query, text };
}

function mostCommon(counts: Map<string, number>): [string, number] {
  let best: [string, number] = ['', -1];
  for (const entry of counts) if (entry[1] > best[1]) best = entry;
  return best;
}

/**
 * Builds the query → text cache from published MINT histories. Pass only sessions that had the tool (the reasoning
 * tasks): elsewhere the call fails with a NameError, which is not what the tool returns.
 */
export function buildMintWikipediaCache(histories: Iterable<readonly ChatMessage[]>): MintWikipediaCache {
  const texts = new Map<string, Map<string, number>>();
  let calls = 0;
  for (const history of histories) {
    history.forEach((turn, i) => {
      const next = history[i + 1];
      if (turn.role !== 'assistant' || next === undefined || next.role !== 'user') return;
      const parsed = parseMintTurn(modelOutputOf(turn));
      const observation = parsed.action === 'execute' ? parseObservationTurn(next.content)?.observation : undefined;
      const call = parsed.action === 'execute' && observation !== undefined ? readCall(parsed.code, observation) : undefined;
      if (call === undefined) return;
      calls++;
      const counts = texts.get(call.query) ?? new Map<string, number>();
      counts.set(call.text, (counts.get(call.text) ?? 0) + 1);
      texts.set(call.query, counts);
    });
  }
  const entries = new Map<string, string>();
  const foldedCalls = new Map<string, { query: string; calls: number }>();
  let conflicts = 0;
  for (const [query, counts] of texts) {
    if (counts.size > 1) conflicts++;
    entries.set(query, mostCommon(counts)[0]);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const key = query.toLowerCase();
    const held = foldedCalls.get(key);
    if (held === undefined || total > held.calls) foldedCalls.set(key, { query, calls: total });
  }
  const folded = new Map([...foldedCalls].map(([key, { query }]) => [key, query]));
  return { entries, folded, calls, conflicts };
}
