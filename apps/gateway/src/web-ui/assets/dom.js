// Building DOM from data. Every string becomes a text node: transcripts are hostile text and are never parsed as markup.

/**
 * Creates an element. `attrs`: `class`, `href`, `title`, `data-*`, `aria-*`... set as attributes; `on*` functions as
 * listeners; `hidden`/`disabled`/`checked`/`value` as properties. Children: nodes, strings (text), numbers, arrays,
 * null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'hidden' || key === 'disabled' || key === 'checked' || key === 'value' || key === 'selected') el[key] = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A hash link inside the app: `#/runs/ID`, with each path part and query value URI-encoded. */
export function route(parts, query = {}) {
  const path = parts.map((p) => encodeURIComponent(String(p))).join('/');
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const qs = q.toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

/** A coloured status badge; the class names the status so the colour follows it (succeeded green, failed red ...). */
export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${String(kind).replace(/[^a-z-]/g, '')}` }, text);
}

/** An error box with the API's message and what to do. */
export function errorBox(err) {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, err && err.code ? `${err.code}: ` : 'Error: '),
    err && err.message ? err.message : String(err),
  );
}

/** A definition list from [label, value] pairs (values may be nodes). */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

/** Preformatted text (code, prompts, observations): whitespace kept, long lines wrapped. */
export function pre(text, cls = '') {
  return h('pre', { class: `text ${cls}` }, text ?? '');
}
