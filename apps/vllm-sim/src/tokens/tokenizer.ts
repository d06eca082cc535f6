/**
 * A deterministic stand-in for a real tokenizer: a token is optional leading whitespace plus either up to four
 * word characters or one other character, so the pieces always concatenate back to the original text and
 * English text lands near the usual ~4 characters per token.
 */
const TOKEN_PATTERN = /\s*(?:[\p{L}\p{N}_]{1,4}|[^\s\p{L}\p{N}_])|\s+/gu;

/** Splits text into token pieces whose concatenation is exactly the input. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

/** Number of tokens the simulator charges for a text. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}
