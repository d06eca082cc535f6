/** U+0000: PostgreSQL stores it neither in `text` (invalid byte sequence) nor in `jsonb` (unsupported Unicode escape). */
const NUL = '\u0000';
/** What a NUL becomes: the replacement character, so the text keeps its length and shows where bytes were lost. */
const REPLACEMENT = '\uFFFD';

/**
 * `value` with every U+0000 in its strings (object keys included, at any depth) replaced by U+FFFD, so that PostgreSQL
 * can store it. Model output and program output are untrusted bytes: a command that writes binary (`gzip` to stdout)
 * must end as a stored observation, not as a write that fails every time the sample is retried.
 */
export function postgresSafe<T>(value: T): T {
  return sanitize(value) as T;
}

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return value.includes(NUL) ? value.replaceAll(NUL, REPLACEMENT) : value;
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [sanitize(k) as string, sanitize(v)]));
  }
  return value;
}
