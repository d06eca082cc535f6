/** Response headers by lower-case name, as both node:http and undici give them. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Seconds a replica's `Retry-After` header asks to wait: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), a date in
 * the past being 0. Undefined when the header is missing or neither form, so a garbled header is no hint at all.
 */
export function retryAfterHeaderSeconds(headers: ResponseHeaders | undefined, now: number = Date.now()): number | undefined {
  const raw = headers?.['retry-after'];
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  // Date.parse also takes forms HTTP does not (a bare number, ISO strings); a date must at least name its zone as GMT.
  const at = /GMT$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}
