import { get } from './api.js';
import { badge, h, replace, route } from './dom.js';
import { pValue, pct, shortId, signedCi, signedPct } from './format.js';
import { mainMetric, statusBadge } from './widgets.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Two runs side by side: the paired comparison, what differs in their settings, and the items that flipped. */
export async function renderCompare(main, q, live) {
  const a = (q.a || '').trim();
  const b = (q.b || '').trim();
  const form = h(
    'form',
    {
      class: 'card filters',
      id: 'compare-form',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new FormData(e.target);
        location.hash = route(['compare'], { a: String(data.get('a')).trim(), b: String(data.get('b')).trim() });
      },
    },
    h('label', {}, 'Baseline run (A) ', h('input', { name: 'a', value: a, size: '38', class: 'mono', placeholder: 'run id' })),
    h('label', {}, 'Candidate run (B) ', h('input', { name: 'b', value: b, size: '38', class: 'mono', placeholder: 'run id' })),
    h('button', { type: 'submit' }, 'Compare'),
  );
  if (!UUID.test(a) || !UUID.test(b)) {
    replace(main, h('h1', {}, 'Compare runs'), form, h('p', { class: 'muted' }, 'Enter two run ids of the same benchmark, or pick two runs in the runs list.'));
    return;
  }
  const [{ comparison: c }, { run: runA }, { run: runB }] = await Promise.all([
    get(`/v1/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`),
    get(`/v1/runs/${encodeURIComponent(a)}`),
    get(`/v1/runs/${encodeURIComponent(b)}`),
  ]);
  if (!live.active) return;

  const side = (label, run, mean) =>
    h(
      'div',
      { class: 'card side' },
      h('h2', {}, label, ' ', h('a', { href: route(['runs', run.id]), class: 'mono' }, shortId(run.id))),
      h('p', {}, h('strong', {}, run.model), ` on ${run.benchmark}@${run.benchmarkVersion} `, statusBadge(run.status)),
      h('p', {}, `${c.metric}: `, h('strong', { class: 'big' }, pct(mean))),
      h('p', { class: 'muted' }, 'Run summary: ', mainMetric(run)),
    );
  const verdict = !c.comparable
    ? badge('not comparable', 'failed')
    : c.significant
      ? badge(c.delta < 0 ? 'significantly worse' : 'significantly better', c.delta < 0 ? 'regressed' : 'ok')
      : badge('no significant difference', 'unchecked');
  const items = (title, group, kind) =>
    h(
      'div',
      { class: `card flips flips-${kind}`, id: `flips-${kind}` },
      h('h3', {}, `${title} (${group.count})`),
      group.items.length ? h('ul', { class: 'items mono' }, group.items.map((id) => h('li', {}, id))) : h('p', { class: 'muted' }, 'none'),
      group.count > group.items.length ? h('p', { class: 'muted' }, `first ${group.items.length} shown`) : null,
    );

  replace(
    main,
    h('h1', {}, 'Compare runs'),
    form,
    h('div', { class: 'sides' }, side('A (baseline)', runA, c.meanA), side('B (candidate)', runB, c.meanB)),
    h(
      'section',
      { class: 'card', id: 'comparison' },
      h('div', { class: 'page-head' }, h('h2', {}, `B − A: ${signedPct(c.delta)}`), verdict),
      h('p', {}, `${Math.round(c.confidence * 100)}% CI of the difference ${signedCi(c.ci)}; paired bootstrap p ${pValue(c.bootstrapPValue)}`,
        c.mcnemar ? `; McNemar p ${pValue(c.mcnemar.pValue)}` : ''),
      h('p', { class: 'muted' }, `${c.sharedItems} shared items; ${c.onlyInA} only in A, ${c.onlyInB} only in B.`),
      c.differences.length
        ? h(
            'table',
            { class: 'grid', id: 'differences' },
            h('thead', {}, h('tr', {}, ['Setting', 'A', 'B', ''].map((x) => h('th', {}, x)))),
            h('tbody', {}, c.differences.map((d) => h('tr', {}, h('td', {}, d.field), h('td', { class: 'mono' }, d.a), h('td', { class: 'mono' }, d.b), h('td', {}, d.breaksComparability ? badge('breaks comparability', 'failed') : '')))),
          )
        : h('p', { class: 'muted' }, 'Same settings.'),
    ),
    h('div', { class: 'sides' }, items('Regressed: passed in A, failed in B', c.regressed, 'regressed'), items('Improved: failed in A, passed in B', c.improved, 'improved')),
  );
}
