import { describe, expect, it } from 'vitest';
import { ALFWORLD_ENVIRONMENT_TOOLS } from '../alfworld/alfworld-tools';
import { parseRelayCellOutput, relayBeginCell, relayResumeCell, renderEnvironmentRelaySetup } from './environment-relay';

const NONCE = 'abcdef0123456789abcdef0123456789';

describe('environment relay', () => {
  it('defines each tool as one command sent through the relay', () => {
    const code = renderEnvironmentRelaySetup(ALFWORLD_ENVIRONMENT_TOOLS, NONCE);
    expect(code).toContain('def put(object, receptacle):\n    return _lemur_env.step(');
    expect(code).toContain('.format(object=object, receptacle=receptacle))');
    expect(code).toContain('def look():\n');
    expect(code).toContain(`'\\u001e${NONCE}:step '`);
    expect(code).not.toContain('__MAX_CALLS__');
  });

  it('refuses tool names that are not Python identifiers and weak nonces', () => {
    expect(() => renderEnvironmentRelaySetup([{ name: 'rm -rf', params: [], action: 'x' }], NONCE)).toThrow(/Python identifiers/);
    expect(() => renderEnvironmentRelaySetup(ALFWORLD_ENVIRONMENT_TOOLS, 'short')).toThrow(/nonce/);
  });

  it('passes code and observations as base64, whatever characters they hold', () => {
    const code = 'print("\'\\"\\n\u00e9")';
    const cell = relayBeginCell(code);
    const b64 = /b64decode\('([^']+)'\)/.exec(cell)![1]!;
    expect(Buffer.from(b64, 'base64').toString('utf8')).toBe(code);
    expect(relayResumeCell({ observation: 'ok' })).toMatch(/, False\)$/);
    expect(relayResumeCell({ error: 'bad' })).toMatch(/, True\)$/);
  });

  it.each([
    [`\u001e${NONCE}:step {"action": "go to fridge 1"}\n`, { kind: 'step', action: 'go to fridge 1' }],
    ['On the desk 1, you see nothing.\n', { kind: 'finished' }],
    // Another nonce (agent code imitating the relay) or extra output is the agent's own output.
    [`\u001eotherotherotherother:step {"action": "x"}\n`, { kind: 'finished' }],
    [`hi\n\u001e${NONCE}:step {"action": "x"}\n`, { kind: 'finished' }],
    ['', { kind: 'finished' }],
  ])('reads %j', (stdout, expected) => {
    expect(parseRelayCellOutput(stdout, NONCE)).toEqual(expected);
  });
});
