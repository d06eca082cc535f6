/** One requirement of a label selector, as the API server parses `?labelSelector=`. */
export interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export class LabelSelectorError extends Error {}

/**
 * Parses the string form of a label selector: equality (`a=b`, `a==b`, `a!=b`), set-based (`a in (x,y)`,
 * `a notin (x)`), existence (`a`, `!a`). Commas inside parentheses belong to the set, not to the selector.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map(parseRequirement);
}

function parseRequirement(text: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
    return { key: set[1] ?? '', operator: set[2] === 'in' ? 'in' : 'notin', values };
  }
  const inequality = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(text);
  if (inequality) return { key: inequality[1] ?? '', operator: 'notin', values: [inequality[2] ?? ''] };
  const equality = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(text);
  if (equality) return { key: equality[1] ?? '', operator: 'in', values: [equality[2] ?? ''] };
  const absent = /^!\s*([^!=\s()]+)$/.exec(text);
  if (absent) return { key: absent[1] ?? '', operator: '!exists', values: [] };
  if (/^[^!=\s()]+$/.test(text)) return { key: text, operator: 'exists', values: [] };
  throw new LabelSelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** Whether `labels` satisfy every requirement. */
export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every(({ key, operator, values }) => {
    const value = labels?.[key];
    switch (operator) {
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
      case 'in':
        return value !== undefined && values.includes(value);
      case 'notin':
        return value === undefined || !values.includes(value);
    }
  });
}
