// Pieces several pages show: run status, main metric, progress bar, regression flag, pager.
import { badge, h } from './dom.js';
import { ci, pct, progress, signedPct } from './format.js';

/** The run's first metric with its confidence interval, or a dash. */
export function mainMetric(run) {
  const m = run.summary && run.summary.metrics[0];
  if (!m) return h('span', { class: 'muted' }, '–');
  return h('span', { class: 'metric', title: `${m.name}, ${m.method} interval, n=${m.n}` }, h('strong', {}, pct(m.value)), ' ', h('span', { class: 'muted' }, ci(m.ci)));
}

export function statusBadge(status) {
  return badge(status, status);
}

/** A progress bar of the run's finished samples (shown while the run is queued or running). */
export function progressBar(run, cls = '') {
  const counts = run.summary && run.summary.counts;
  const fraction = progress(counts);
  const done = counts ? counts.total - counts.pending : 0;
  return h(
    'div',
    { class: `progress ${cls}`, role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(fraction * 100)) },
    h('div', { class: 'progress-fill', style: null, 'data-width': String(Math.round(fraction * 1000) / 10) }),
    h('span', { class: 'progress-label' }, counts ? `${done} / ${counts.total} samples` : 'waiting'),
  );
}

/** Sets the fills' widths from data-width (inline style attributes are blocked by the CSP, element.style is not). */
export function sizeBars(root) {
  for (const fill of root.querySelectorAll('.progress-fill')) fill.style.width = `${fill.dataset.width}%`;
}

export function isActive(run) {
  return run.status === 'queued' || run.status === 'running';
}

/** A scheduled run's regression flag: red when it regressed, green when checked and fine, grey until checked. */
export function regressionFlag(run) {
  if (!run.scheduleId) return null;
  const r = run.regression;
  if (!r) return badge(isActive(run) ? 'not checked yet' : 'unchecked', 'unchecked');
  if (r.regressed) return badge(`regression ${signedPct(r.delta)}`, 'regressed');
  if (!r.baselineRunId) return badge('first run: no baseline', 'unchecked');
  return badge(`no regression ${signedPct(r.delta)}`, 'ok');
}

/** Previous / next buttons over keyset pages; `prev` and `next` are hrefs or null. */
export function pager(label, prev, next) {
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'pages' },
    prev !== null ? h('a', { class: 'button', href: prev, 'data-testid': 'prev-page' }, '← Previous') : h('span', { class: 'button disabled' }, '← Previous'),
    h('span', { class: 'muted' }, label),
    next !== null ? h('a', { class: 'button', href: next, 'data-testid': 'next-page' }, 'Next →') : h('span', { class: 'button disabled' }, 'Next →'),
  );
}
