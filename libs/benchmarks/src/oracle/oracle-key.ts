/** Collapses every whitespace run to one space and trims, so oracle keys survive re-indentation and template trimming. */
export function oracleKey(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
