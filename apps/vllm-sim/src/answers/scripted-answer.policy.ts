import { type AnswerPolicy, type AnswerRequest } from './answer-policy';

/** One scripted rule: when the prompt contains `match` (or matches `/regex/flags`), answer `completion`. */
export interface ScriptedRule {
  match: string;
  completion: string;
}

/** A rules file that cannot be used; says which line is wrong. */
export class ScriptedRulesError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'ScriptedRulesError';
  }
}

interface CompiledRule {
  test(prompt: string): boolean;
  completion: string;
}

const REGEX_LITERAL = /^\/(.*)\/([dgimsuvy]*)$/s;

/** Parses JSONL rules; blank lines are skipped, anything else malformed fails with its 1-based line number. */
export function parseScriptedRules(jsonl: string, source = 'rules'): ScriptedRule[] {
  const rules: ScriptedRule[] = [];
  jsonl.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new ScriptedRulesError(`${source}:${line}: not valid JSON (${(err as Error).message})`, line);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ScriptedRulesError(`${source}:${line}: expected an object {"match": ..., "completion": ...}`, line);
    }
    const { match, completion } = value as Record<string, unknown>;
    if (typeof match !== 'string' || match === '') {
      throw new ScriptedRulesError(`${source}:${line}: "match" must be a non-empty string`, line);
    }
    if (typeof completion !== 'string') {
      throw new ScriptedRulesError(`${source}:${line}: "completion" must be a string`, line);
    }
    try {
      compileRule({ match, completion });
    } catch (err) {
      throw new ScriptedRulesError(`${source}:${line}: invalid regex ${match} (${(err as Error).message})`, line);
    }
    rules.push({ match, completion });
  });
  return rules;
}

function compileRule(rule: ScriptedRule): CompiledRule {
  const literal = REGEX_LITERAL.exec(rule.match);
  if (literal && rule.match.length > 2) {
    // Global and sticky flags make RegExp.test stateful across calls; matching must not depend on history.
    const flags = (literal[2] ?? '').replace(/[gy]/g, '');
    const regex = new RegExp(literal[1] ?? '', flags);
    return { test: (prompt) => regex.test(prompt), completion: rule.completion };
  }
  return { test: (prompt) => prompt.includes(rule.match), completion: rule.completion };
}

/** Answers from the first rule that matches the prompt, else from a default (empty unless configured). */
export class ScriptedAnswerPolicy implements AnswerPolicy {
  private readonly rules: CompiledRule[];

  constructor(
    rules: readonly ScriptedRule[],
    private readonly defaultCompletion = '',
  ) {
    this.rules = rules.map(compileRule);
  }

  answer(req: AnswerRequest): string {
    return this.rules.find((rule) => rule.test(req.prompt))?.completion ?? this.defaultCompletion;
  }
}
