// Numbers and times as people read them.

export function pct(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–';
}

export function signedPct(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts` : '–';
}

export function ci(pair) {
  return Array.isArray(pair) && pair.length === 2 ? `[${pct(pair[0])}, ${pct(pair[1])}]` : '';
}

export function signedCi(pair) {
  return Array.isArray(pair) && pair.length === 2 ? `[${signedPct(pair[0])}, ${signedPct(pair[1])}]` : '';
}

export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '–' : d.toLocaleString();
}

export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function int(n) {
  return typeof n === 'number' ? n.toLocaleString() : '–';
}

/** A p-value with its relation, to follow "p": `= 0.032`, `< 0.001`. */
export function pValue(p) {
  return typeof p === 'number' && Number.isFinite(p) ? (p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`) : '= –';
}

export function shortId(id) {
  return typeof id === 'string' ? id.slice(0, 8) : '';
}

/** First line of a text, cut to `max` characters. */
export function snippet(text, max = 80) {
  if (!text) return '';
  const line = String(text).split('\n', 1)[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The fraction of a run's samples that are done (scored, errored or cancelled). */
export function progress(counts) {
  if (!counts || !counts.total) return 0;
  return (counts.total - counts.pending) / counts.total;
}
