import { describe, expect, it } from 'vitest';
import { publishedRuns, readPublishedEpisodes } from './mint-published-runs';
import { MINT_REASONING_TASKS } from './mint-tasks';
import { buildMintWikipediaCache, MINT_WIKIPEDIA_NOT_FOUND } from './mint-wikipedia-cache';

const cache = buildMintWikipediaCache(publishedRuns().flatMap((run) => MINT_REASONING_TASKS.flatMap((task) => readPublishedEpisodes(run, task).map((e) => e.history))));

const turns = (code: string, observation: string) => [
  { role: 'assistant' as const, content: `Assistant:\n<execute> ${code} </execute>\n` },
  { role: 'user' as const, content: `Observation:\n${observation}\nYou have 4 steps left and 2 chances to propose solution left.\n` },
];

describe('buildMintWikipediaCache over the published MINT reasoning trajectories', () => {
  it('reads every single-call cell of the six published runs', () => {
    // An independent count with Python's own parser (ast) over the same files gives 527 queries from 972 cells; three
    // bare calls echoed a repr with \u escapes, which are left out rather than recorded wrongly.
    expect(publishedRuns()).toHaveLength(6);
    expect(cache.entries.size).toBe(524);
    expect(cache.calls).toBe(969);
    expect(cache.folded.size).toBeLessThan(cache.entries.size);
  });

  it('keeps the text the tool returned, without the observation framing', () => {
    const text = cache.entries.get('Scott Derrickson');
    expect(text).toMatch(/^Page: Scott Derrickson\nSummary: Scott Derrickson \(born July 16, 1966\) is an American filmmaker\./);
    expect(text).not.toMatch(/Observation:|You have \d+ steps left/);
    // Published once printed and once as a bare call echoed by IPython (`Out[1]: '...'`): both read back to this text.
    expect(cache.entries.get('Frenchmans Creek')).toBe(
      'Page: Frenchmans Creek (California)\nSummary: Frenchmans Creek is a 4.4-mile-long (7.1 km) stream in San Mateo County, California. Locks Creek is its largest tributary.',
    );
    expect([...cache.entries.values()].filter((t) => t === MINT_WIKIPEDIA_NOT_FOUND).length).toBeGreaterThan(0);
    expect([...cache.entries.values()].every((t) => t.startsWith('Page: ') || t === MINT_WIKIPEDIA_NOT_FOUND)).toBe(true);
  });

  it('counts queries whose texts differ between runs and keeps the most common text', () => {
    expect(cache.conflicts).toBe(57);
    // 'Amber Benson' was answered once with "actress, singer, writer" and three times with "actress, writer, director".
    expect(cache.entries.get('Amber Benson')).toContain('is an American actress, writer, director');
  });

  it('folds case to the most-called of the queries that differ only in case', () => {
    expect(['Religion in the Han dynasty', 'Religion in the Han Dynasty'].every((q) => cache.entries.has(q))).toBe(true);
    expect(['Religion in the Han dynasty', 'Religion in the Han Dynasty']).toContain(cache.folded.get('religion in the han dynasty'));
  });

  it('leaves out cells that are not one call with one string, and proposals', () => {
    const built = buildMintWikipediaCache([
      turns("print(wikipedia_search('A', 'B'))", 'TypeError: wikipedia_search() takes 1 positional argument'),
      turns("print(wikipedia_search('A'))\nprint(wikipedia_search('B'))", 'Page: A\nPage: B'),
      turns('q = "A"\nprint(wikipedia_search(q))', 'Page: A'),
      [{ role: 'assistant', content: "Assistant:\n<execute> print(wikipedia_search('A')) </execute> <solution> 1 </solution>\n" }, turns('', 'Page: A')[1]!],
      turns(`print(wikipedia_search("it's \\\\ \\"q\\""))`, 'Page: Q'),
    ]);
    expect([...built.entries]).toEqual([['it\'s \\ "q"', 'Page: Q']]);
    expect(built.calls).toBe(1);
  });
});
