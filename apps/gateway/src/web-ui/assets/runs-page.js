import { get, query } from './api.js';
import { h, replace, route } from './dom.js';
import { int, shortId, time } from './format.js';
import { stepTrail } from './page-trail.js';
import { isActive, mainMetric, pager, progressBar, regressionFlag, sizeBars, statusBadge } from './widgets.js';

const PAGE = 25;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/**
 * The runs list: filters (model, benchmark, status, schedule, suite) kept in the URL so a filtered list can be linked
 * and Back steps through them, server-side pages, two runs picked to compare.
 */
export async function renderRuns(main, q, live) {
  const filter = { model: q.model, benchmark: q.benchmark, status: q.status, schedule: q.schedule, suite: q.suite };
  const pageNo = Math.max(1, Number(q.page) || 1);

  const [page, benchmarks, schedules, models] = await Promise.all([
    get(`/v1/runs${query({ ...filter, limit: PAGE, cursor: q.cursor })}`),
    get('/v1/benchmarks').catch(() => ({ benchmarks: [] })),
    get('/v1/schedules').catch(() => ({ schedules: [] })),
    get('/v1/models').catch(() => ({ models: [] })),
  ]);
  if (!live.active) return;

  const go = (changes) => {
    location.hash = route(['runs'], { ...filter, ...changes });
  };
  const select = (name, label, options, value) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name, onchange: (e) => go({ [name]: e.target.value }) },
        h('option', { value: '' }, 'any'),
        options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
      ),
    );
  // The registry's models, and those of the runs shown: a run's model may have left the registry (or be simulated).
  const modelNames = [...new Set([...models.models.map((m) => m.name), ...page.runs.map((r) => r.model), ...(filter.model ? [filter.model] : [])])];
  const benchmarkNames = [...new Set(benchmarks.benchmarks.map((b) => b.name))];
  const filters = h(
    'form',
    { class: 'filters', onsubmit: (e) => e.preventDefault() },
    select('model', 'Model', modelNames.map((m) => [m, m]), filter.model),
    select('benchmark', 'Benchmark', benchmarkNames.map((b) => [b, b]), filter.benchmark),
    select('status', 'Status', STATUSES.map((s) => [s, s]), filter.status),
    select('schedule', 'Schedule', schedules.schedules.map((s) => [s.id, s.name]), filter.schedule),
    // No API lists suite runs: the id comes from `lemur run --suite` or a run's page, which links here.
    h(
      'label',
      {},
      'Suite run',
      h('input', { name: 'suite', class: 'mono', size: '38', placeholder: 'suite run id', value: filter.suite ?? '', onchange: (e) => go({ suite: e.target.value.trim() }) }),
    ),
    Object.values(filter).some(Boolean) ? h('a', { href: '#/runs', class: 'button' }, 'Clear filters') : null,
  );

  const picked = new Set();
  const compareButton = h('button', { type: 'button', disabled: true, id: 'compare-selected', onclick: () => {
    const [a, b] = [...picked];
    location.hash = route(['compare'], { a, b });
  } }, 'Compare selected (pick 2)');
  const pick = (id) => (e) => {
    if (e.target.checked) picked.add(id);
    else picked.delete(id);
    compareButton.disabled = picked.size !== 2;
  };

  const rows = page.runs.map((run) =>
    h(
      'tr',
      { 'data-run-id': run.id, class: `run-row status-${run.status}` },
      h('td', {}, h('input', { type: 'checkbox', 'aria-label': `pick run ${shortId(run.id)} to compare`, onchange: pick(run.id) })),
      h('td', {}, h('a', { href: route(['runs', run.id]), class: 'mono' }, shortId(run.id))),
      h('td', { class: 'wrap' }, run.model),
      h('td', {}, `${run.benchmark}@${run.benchmarkVersion}`),
      h('td', {}, statusBadge(run.status), isActive(run) ? progressBar(run, 'small') : null),
      h('td', {}, mainMetric(run)),
      h('td', { class: 'num' }, run.summary ? int(run.summary.counts.total) : '–'),
      h('td', { class: 'num' }, run.summary && run.summary.counts.errored ? h('span', { class: 'bad' }, int(run.summary.counts.errored)) : '0'),
      h('td', {}, regressionFlag(run)),
      h('td', { class: 'muted' }, time(run.createdAt)),
    ),
  );
  const table = rows.length
    ? h(
        'table',
        { class: 'grid', id: 'runs-table' },
        h('thead', {}, h('tr', {}, ['', 'Run', 'Model', 'Benchmark', 'Status', 'Score (95% CI)', 'Samples', 'Errors', 'Regression', 'Created'].map((c) => h('th', {}, c)))),
        h('tbody', {}, rows),
      )
    : h('p', { class: 'empty' }, Object.values(filter).some(Boolean) ? 'No run matches these filters.' : 'No runs yet. Start one with: lemur run MODEL BENCHMARK');

  const before = stepTrail('runs', JSON.stringify(filter), pageNo, q.cursor);
  // A trail that began on a later page (a link from elsewhere) has no earlier cursor: "Previous" starts over.
  const prev = pageNo > 1 ? route(['runs'], before === undefined ? filter : { ...filter, cursor: before, page: pageNo - 1 }) : null;
  const next = page.nextCursor ? route(['runs'], { ...filter, cursor: page.nextCursor, page: pageNo + 1 }) : null;

  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Runs'), compareButton), filters, table, pager(`page ${pageNo}`, prev, next));
  sizeBars(main);

  // While a run on this page is active, the page refreshes itself.
  const refresh = () => {
    if (!live.active) return;
    if (picked.size > 0) setTimeout(refresh, 2_000);
    else renderRuns(main, q, live).catch(() => undefined);
  };
  if (page.runs.some(isActive)) setTimeout(refresh, 2_000);
}
