// Keyset paging has no "previous" of its own: the cursors of the pages before the current one, per list and filter.
// They live in sessionStorage (this tab only, like the key), so "Previous" still steps back one page after a reload.
const PREFIX = 'lemur.trail.';
// Deep enough for any list a person pages through by hand; a deeper page falls back to the first one.
const MAX_PAGES = 10_000;

function read(list, key) {
  try {
    const trail = JSON.parse(sessionStorage.getItem(PREFIX + list) ?? 'null');
    if (trail && trail.key === key && Array.isArray(trail.cursors)) return trail;
  } catch {
    // A value this page did not write: start a new trail.
  }
  return { key, cursors: [] };
}

/**
 * Notes that page `pageNo` of `list` under `key` (its filter) starts at `cursor`, and returns the cursor of the page
 * before it: '' for the first page, undefined when it is not known (the trail began on a later page).
 */
export function stepTrail(list, key, pageNo, cursor) {
  const trail = read(list, key);
  if (pageNo <= MAX_PAGES) {
    trail.cursors[pageNo - 1] = cursor ?? '';
    sessionStorage.setItem(PREFIX + list, JSON.stringify(trail));
  }
  const before = trail.cursors[pageNo - 2];
  return typeof before === 'string' ? before : undefined;
}

/** Drops every trail (logging out). */
export function forgetTrails() {
  for (const name of Object.keys(sessionStorage)) if (name.startsWith(PREFIX)) sessionStorage.removeItem(name);
}
