import { describe, expect, it } from 'vitest';
import { parseSimModel, simFlag } from './sim-models';

describe('parseSimModel', () => {
  it('knows the built-in modes', () => {
    expect(parseSimModel('sim:oracle', '/x')).toMatchObject({ served: 'sim-oracle', mode: 'oracle' });
    expect(simFlag(parseSimModel('sim:wrong', '/x')!)).toBe('sim-wrong=wrong');
  });

  it('resolves a scripted rules file against the working directory', () => {
    const model = parseSimModel('sim:scripted=rules.jsonl', '/work')!;
    expect(model.rulesFile).toBe('/work/rules.jsonl');
    expect(simFlag(model)).toMatch(/^sim-scripted-[0-9a-f]{8}=scripted:\/work\/rules\.jsonl$/);
  });

  it('resolves a replay run directory and passes it to the simulator', () => {
    const model = parseSimModel('sim:replay=runs/lemur', '/work')!;
    expect(model).toMatchObject({ mode: 'replay', rulesFile: '/work/runs/lemur' });
    expect(simFlag(model)).toMatch(/^sim-replay-[0-9a-f]{8}=replay:\/work\/runs\/lemur$/);
  });

  it('leaves other names alone and rejects unknown simulator modes', () => {
    expect(parseSimModel('lemur-70b-chat', '/x')).toBeUndefined();
    expect(() => parseSimModel('sim:genius', '/x')).toThrow(/sim:scripted=FILE/);
  });
});
