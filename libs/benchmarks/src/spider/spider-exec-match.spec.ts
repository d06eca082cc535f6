import { describe, expect, it } from 'vitest';
import { spiderEvalQuery, spiderOrderMatters, spiderRemoveDistinct, spiderResultEq } from './spider-exec-match';

const rows = (...r: string[][]): string[][] => r;

describe('result_eq (test-suite-sql-eval exec_eval.py)', () => {
  it.each([
    ['both empty', rows(), rows(), false, true],
    ['one empty', rows(['i:1']), rows(), false, false],
    ['same rows in another order, no ORDER BY', rows(['i:1'], ['i:2']), rows(['i:2'], ['i:1']), false, true],
    ['same rows in another order, ORDER BY in gold', rows(['i:1'], ['i:2']), rows(['i:2'], ['i:1']), true, false],
    ['bags differ in multiplicity', rows(['i:1'], ['i:1'], ['i:2']), rows(['i:1'], ['i:2'], ['i:2']), false, false],
    ['columns swapped', rows(['s:a', 'i:1'], ['s:b', 'i:2']), rows(['i:1', 's:a'], ['i:2', 's:b']), false, true],
    ['columns swapped, in order', rows(['s:a', 'i:1'], ['s:b', 'i:2']), rows(['i:1', 's:a'], ['i:2', 's:b']), true, true],
    ['a different column count', rows(['i:1', 'i:2']), rows(['i:1']), false, false],
    ['an int and a string of its digits differ', rows(['i:1']), rows(['s:1']), false, false],
    ['NULL equals NULL', rows(['N', 'i:1']), rows(['N', 'i:1']), false, true],
    ['a float differs from a nearby one', rows(['f:2.5']), rows(['f:2.5000001']), false, false],
    ['rows that match only under different permutations per row are not equal', rows(['i:1', 'i:2'], ['i:3', 'i:4']), rows(['i:1', 'i:2'], ['i:4', 'i:3']), false, false],
    ['five columns permuted (pruned search)', rows(['i:1', 'i:2', 'i:3', 'i:4', 'i:5'], ['i:6', 'i:7', 'i:8', 'i:9', 'i:0']), rows(['i:5', 'i:4', 'i:3', 'i:2', 'i:1'], ['i:0', 'i:9', 'i:8', 'i:7', 'i:6']), false, true],
    ['duplicate columns', rows(['i:1', 'i:1'], ['i:2', 'i:2']), rows(['i:1', 'i:1'], ['i:2', 'i:2']), true, true],
  ])('%s', (_name, gold, pred, orderMatters, equal) => {
    expect(spiderResultEq(gold, pred, orderMatters)).toBe(equal);
  });
});

describe('the query as the official evaluation runs it', () => {
  it.each([
    ['DISTINCT is removed', 'SELECT DISTINCT name FROM t', 'SELECT  name FROM t'],
    ['in any case and inside count()', 'SELECT count(distinct name) FROM t', 'SELECT count( name) FROM t'],
    ['but not inside a string', "SELECT * FROM t WHERE x = 'distinct'", "SELECT * FROM t WHERE x = 'distinct'"],
    ['nor inside an identifier', 'SELECT distinct_id FROM t', 'SELECT distinct_id FROM t'],
    ['spaces inside >= are removed', 'SELECT * FROM t WHERE a > = 3 AND b < = 2 AND c ! = 1', 'SELECT * FROM t WHERE a >= 3 AND b <= 2 AND c != 1'],
    ['YEAR(CURDATE()) becomes 2020', 'SELECT YEAR(CURDATE()) - born FROM t', 'SELECT 2020- born FROM t'],
  ])('%s', (_name, query, expected) => {
    expect(spiderEvalQuery(query)).toBe(expected);
  });

  it('orders rows only when the gold has ORDER BY', () => {
    expect(spiderOrderMatters('SELECT a FROM t order  by a')).toBe(false);
    expect(spiderOrderMatters('SELECT a FROM t Order By a')).toBe(true);
    expect(spiderRemoveDistinct('SELECT "distinct" FROM t')).toBe('SELECT "distinct" FROM t');
  });
});
