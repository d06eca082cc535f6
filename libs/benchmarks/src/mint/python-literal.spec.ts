import { describe, expect, it } from 'vitest';
import { evalPythonExpression, PyEvalError, pyEquals, type PyValue } from './python-literal';

const int = (value: number): PyValue => ({ type: 'int', value });
const float = (value: number): PyValue => ({ type: 'float', value });

describe('evalPythonExpression', () => {
  it.each<[string, PyValue]>([
    ['42', int(42)],
    ['-7', int(-7)],
    ['1229312', int(1229312)],
    ['2.0', float(2)],
    ['.5', float(0.5)],
    ['5.', float(5)],
    ['1.28e-06', float(1.28e-6)],
    ['1.4e+03', float(1400)],
    ['1_000', int(1000)],
    ['0000', int(0)],
    ['2**10', int(1024)],
    ['-2**2', int(-4)],
    ['2**-1', float(0.5)],
    ['7/2', float(3.5)],
    ['7//2', int(3)],
    ['-7//2', int(-4)],
    ['-7 % 3', int(2)],
    ['1 + 2*3', int(7)],
    ['(1 + 2)*3', int(9)],
    ['2*1.5', float(3)],
    ['True', { type: 'bool', value: true }],
    ['None', { type: 'none' }],
    ['"(a)"', { type: 'str', value: '(a)' }],
    ["'x' 'y'", { type: 'str', value: 'xy' }],
    ['[0, 5]', { type: 'list', items: [int(0), int(5)] }],
    ['[6.0, 1.0]', { type: 'list', items: [float(6), float(1)] }],
    ['[]', { type: 'list', items: [] }],
    ['(1, 2)', { type: 'tuple', items: [int(1), int(2)] }],
    ['3, 4', { type: 'tuple', items: [int(3), int(4)] }],
    ['(1,)', { type: 'tuple', items: [int(1)] }],
    ['{1, 1, 2}', { type: 'set', items: [int(1), int(2)] }],
    ['  5\n', int(5)],
    ['[1,\n 2]', { type: 'list', items: [int(1), int(2)] }],
  ])('%j evaluates like Python', (source, expected) => {
    expect(evalPythonExpression(source)).toEqual(expected);
  });

  it.each([
    ['0.5\n0.5', 'SyntaxError'],
    ['The answer is 5.', 'NameError'],
    ['-oo', 'NameError'],
    ['-0.25 + E/4', 'NameError'],
    ['math.pow(10, 3)', 'NameError'],
    ['\\frac{2e^2}{1 + e^4}', 'SyntaxError'],
    ['[0,1]\\times[0,1] is 0.18.', 'SyntaxError'],
    ['05', 'SyntaxError'],
    ['5x', 'SyntaxError'],
    ['1/0', 'ZeroDivisionError'],
    ['', 'SyntaxError'],
    ['"open', 'SyntaxError'],
    ['2j', 'Unsupported'],
    ['{1: 2}', 'Unsupported'],
    ['[1][0]', 'Unsupported'],
  ])('%j raises %s', (source, error) => {
    expect(() => evalPythonExpression(source)).toThrow(PyEvalError);
    expect(() => evalPythonExpression(source)).toThrow(new RegExp(`^${error}`));
  });

  it.each<[PyValue, PyValue, boolean]>([
    [{ type: 'bool', value: false }, int(0), true],
    [float(1), { type: 'bool', value: true }, true],
    [{ type: 'str', value: '(a)' }, { type: 'str', value: 'a' }, false],
    [{ type: 'list', items: [int(1)] }, { type: 'list', items: [float(1)] }, true],
    [{ type: 'list', items: [int(1)] }, { type: 'tuple', items: [int(1)] }, false],
  ])('pyEquals(%j, %j) = %s', (a, b, expected) => {
    expect(pyEquals(a, b)).toBe(expected);
  });
});
