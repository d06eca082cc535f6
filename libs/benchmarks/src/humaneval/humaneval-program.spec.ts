import { describe, expect, it } from 'vitest';
import { buildHumanEvalProgram } from './humaneval-program';

const item = {
  prompt: 'from typing import List\n\n\ndef add(xs: List[int]) -> int:\n    """Sum."""\n',
  test: 'def check(candidate):\n    assert candidate([1, 2]) == 3\n',
  entryPoint: 'add',
};
const stop = ['\nclass', '\ndef', '\n#', '\nif', '\nprint'];
const tail = '\n\ndef check(candidate):\n    assert candidate([1, 2]) == 3\n\n\ncheck(add)\n';

describe('buildHumanEvalProgram', () => {
  it('appends a bare completion as openai/human-eval does', () => {
    expect(buildHumanEvalProgram(item, '    return sum(xs)\n', stop)).toEqual({
      code: `${item.prompt}    return sum(xs)\n${tail}`,
      shape: 'body',
      extracted: '    return sum(xs)\n',
    });
  });

  it('cuts a bare completion at the earliest stop sequence', () => {
    const program = buildHumanEvalProgram(item, '    return sum(xs)\n\n# usage\nprint(add([1]))\n', stop);
    expect(program.extracted).toBe('    return sum(xs)\n');
  });

  it('redefines the function after the prompt for a fenced full function, keeping the prompt imports', () => {
    const answer = 'Here you go:\n```python\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n```\nThis sums the list.';
    const program = buildHumanEvalProgram(item, answer, stop);
    expect(program.shape).toBe('full-function');
    expect(program.code).toBe(`${item.prompt}\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n${tail}`);
  });

  it('prefers the block that defines the entry point over a usage example', () => {
    const answer = '```python\nprint(add([1, 2]))\n```\n\n```py\ndef add(xs):\n    return sum(xs)\n```';
    expect(buildHumanEvalProgram(item, answer, stop).extracted).toBe('def add(xs):\n    return sum(xs)\n');
  });

  it('drops a __main__ demo from a fenced full function', () => {
    const answer = '```python\ndef add(xs):\n    return sum(xs)\n\nif __name__ == "__main__":\n    print(add([1]))\n```';
    expect(buildHumanEvalProgram(item, answer, stop).extracted).toBe('def add(xs):\n    return sum(xs)\n\n');
  });

  it('indents a flush-left fenced body under the signature', () => {
    const program = buildHumanEvalProgram(item, '```python\ntotal = 0\nfor x in xs:\n    total += x\nreturn total\n```', stop);
    expect(program.shape).toBe('body');
    expect(program.extracted).toBe('    total = 0\n    for x in xs:\n        total += x\n    return total\n');
  });

  it('keeps an already indented fenced body and reads an unterminated fence', () => {
    expect(buildHumanEvalProgram(item, '```python\n    return sum(xs)', stop).extracted).toBe('    return sum(xs)\n');
  });

  it('ignores blocks in other languages', () => {
    expect(buildHumanEvalProgram(item, '```text\nreturn 1\n```\n    return sum(xs)\n', stop).shape).toBe('body');
    expect(buildHumanEvalProgram(item, '```text\nreturn 1\n```', stop).extracted).toBe('```text\nreturn 1\n```');
  });
});
