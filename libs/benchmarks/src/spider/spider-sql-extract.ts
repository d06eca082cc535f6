const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n?([\s\S]*?)(?:```|$)/;
// Upper-case keywords first: "we select the names" in an explanation is not a query.
const SQL_START = /\b(?:SELECT|WITH)\b/;
const SQL_LINE_START = /(?:^|\n)[ \t]*((?:select|with)\b)/i;
const CHAT_END = /<\|im_end\|>|<\|eot_id\|>|<\/s>/;

/**
 * The SQL statement in a model's reply: the first fenced block if there is one (closed or cut by the stop sequence),
 * else the text from the first SELECT/WITH; then the first statement only (up to a ";" outside quotes), and outside a
 * fence up to the first blank line, where models start explaining. Undefined when the reply holds no query.
 */
export function extractSpiderSql(completion: string): string | undefined {
  let text = completion.split(CHAT_END)[0] ?? '';
  const fence = FENCE.exec(text);
  const fenced = fence !== null;
  if (fence !== null) text = fence[2] ?? '';
  const upper = SQL_START.exec(text);
  const line = upper === null ? SQL_LINE_START.exec(text) : null;
  const start = upper?.index ?? (line === null ? -1 : line.index + line[0].length - line[1]!.length);
  if (start < 0) return undefined;
  text = text.slice(start);
  if (!fenced) text = text.split(/\r?\n[ \t]*\r?\n/)[0] ?? '';
  const statement = firstStatement(text).trim();
  return statement === '' ? undefined : statement;
}

/** The text before the first ";" that is not inside a quoted string or identifier. */
function firstStatement(sql: string): string {
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i += 1) {
    const ch = sql[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === ';') return sql.slice(0, i);
  }
  return sql;
}
