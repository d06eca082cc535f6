import { del, get, mayAct, post, query } from './api.js';
import { errorBox, facts, h, pre, replace, route } from './dom.js';
import { ci, duration, int, pct, pValue, shortId, signedCi, signedPct, snippet, time } from './format.js';
import { stepTrail } from './page-trail.js';
import { isActive, pager, progressBar, regressionFlag, sizeBars, statusBadge } from './widgets.js';

const PAGE = 50;
const POLL_MS = 1_500;
// The sample table's filters: what each asks the API for.
const FILTERS = {
  all: {},
  failed: { status: 'scored', passed: 'false' },
  errored: { status: 'errored' },
  passed: { status: 'scored', passed: 'true' },
  pending: { status: 'pending' },
};

/** A run: summary with confidence intervals, live progress while it runs, and its samples page by page. */
export async function renderRun(main, id, q, live) {
  const filter = Object.hasOwn(FILTERS, q.filter) ? q.filter : 'all';
  const pageNo = Math.max(1, Number(q.page) || 1);
  const [{ run }, samples] = await Promise.all([get(`/v1/runs/${encodeURIComponent(id)}`), loadSamples(id, filter, q.cursor)]);
  if (!live.active) return;

  const summary = h('section', { class: 'card', id: 'run-summary' });
  const table = h('section', { class: 'card', id: 'samples' });
  const actions = h('div', { class: 'run-actions', id: 'run-actions' });
  replace(
    main,
    h('div', { class: 'page-head run-head' }, h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs'), ' / ', h('span', { class: 'mono' }, shortId(run.id))), actions),
    summary,
    table,
    tools(run),
  );
  fillSummary(summary, run);
  fillSamples(table, run, samples, filter, pageNo, q.cursor);

  let last = run;
  const update = (fresh) => {
    fillSummary(summary, fresh);
    // The buttons are redrawn only when the run ends: redrawn on every poll, a confirmation would vanish under the pointer.
    if (isActive(fresh) !== isActive(last)) fillActions(actions, fresh, update);
    last = fresh;
  };
  fillActions(actions, run, update);

  // Live progress: the summary is re-read while the run is active; the sample table once more when it ends.
  const poll = async () => {
    if (!live.active) return;
    try {
      const { run: fresh } = await get(`/v1/runs/${encodeURIComponent(id)}`);
      if (!live.active) return;
      const moved = fresh.summary?.counts.pending !== last.summary?.counts.pending;
      update(fresh);
      if (!isActive(fresh) || moved) {
        const page = await loadSamples(id, filter, q.cursor);
        if (!live.active) return;
        fillSamples(table, fresh, page, filter, pageNo, q.cursor);
      }
      if (isActive(fresh)) setTimeout(poll, POLL_MS);
    } catch (err) {
      if (live.active) summary.prepend(errorBox(err));
    }
  };
  if (isActive(run)) setTimeout(poll, POLL_MS);
}

function loadSamples(id, filter, cursor) {
  return get(`/v1/runs/${encodeURIComponent(id)}/samples${query({ ...FILTERS[filter], limit: PAGE, cursor })}`);
}

function fillSummary(el, run) {
  const s = run.summary;
  const counts = s ? s.counts : null;
  const metrics = s && s.metrics.length
    ? h(
        'table',
        { class: 'grid metrics', id: 'metrics' },
        h('thead', {}, h('tr', {}, ['Metric', 'Value', '95% CI', 'Method', 'n'].map((c) => h('th', {}, c)))),
        h('tbody', {}, s.metrics.map((m) => h('tr', {}, h('td', {}, m.name), h('td', { class: 'num big' }, pct(m.value)), h('td', { class: 'ci' }, ci(m.ci)), h('td', {}, m.method), h('td', { class: 'num' }, int(m.n))))),
      )
    : h('p', { class: 'muted' }, 'No scores yet.');
  const r = run.regression;
  replace(
    el,
    h('div', { class: 'page-head' }, h('h1', {}, `${run.model} on ${run.benchmark}`), statusBadge(run.status), regressionFlag(run)),
    isActive(run) ? progressBar(run) : null,
    run.error ? errorBox({ code: 'RUN FAILED', message: run.error }) : null,
    metrics,
    s && s.groups ? groupTable(s.groups) : null,
    counts
      ? h(
          'ul',
          { class: 'counts', id: 'counts' },
          h('li', {}, h('strong', {}, int(counts.total)), ' samples'),
          h('li', { class: 'ok' }, h('strong', {}, int(counts.scored)), ' scored'),
          h('li', { class: counts.errored ? 'bad' : '' }, h('strong', {}, int(counts.errored)), ' errored'),
          h('li', {}, h('strong', {}, int(counts.pending)), ' pending'),
          h('li', {}, h('strong', {}, int(counts.cancelled)), ' cancelled'),
        )
      : null,
    facts([
      ['Run', h('span', { class: 'mono' }, run.id)],
      ['Benchmark', `${run.benchmark}@${run.benchmarkVersion}`],
      ['Created', time(run.createdAt)],
      ['Started', time(run.startedAt)],
      ['Finished', time(run.finishedAt)],
      ['Elapsed', s ? duration(s.elapsedSeconds) : null],
      ['Tokens', s ? `${int(s.promptTokens)} prompt, ${int(s.completionTokens)} completion (${s.completionTokensPerSecond.toFixed(1)}/s)` : null],
      ['Schedule', run.scheduleId ? h('a', { href: route(['runs'], { schedule: run.scheduleId }) }, `runs of schedule ${shortId(run.scheduleId)}`) : null],
      ['Suite', run.suiteRunId ? h('a', { href: route(['runs'], { suite: run.suiteRunId }) }, `runs of suite ${shortId(run.suiteRunId)}`) : null],
      [
        'Regression check',
        r
          ? r.baselineRunId
            ? h(
                'span',
                {},
                `${signedPct(r.delta)} ${signedCi(r.ci)}, p ${pValue(r.pValue)}${r.comparable ? '' : ' (not comparable)'} vs `,
                h('a', { href: route(['compare'], { a: r.baselineRunId, b: run.id }) }, `baseline ${shortId(r.baselineRunId)}`),
              )
            : r.note
          : null,
      ],
    ]),
  );
  sizeBars(el);
}

/**
 * Cancel while the run is queued or running (runner), delete once it has ended (admin), each offered only to a key whose
 * role allows it; each asks first, in the page (the browser's own dialog can be neither styled nor driven by a test). A
 * refusal (a run that is a schedule's baseline, a role lowered since login ...) shows the API's message as it came.
 * `onCancelled` gets the run as the cancel left it.
 */
function fillActions(el, run, onCancelled) {
  const active = isActive(run);
  if (!mayAct(active ? 'runner' : 'admin')) {
    replace(el);
    return;
  }
  const verb = active ? 'Cancel' : 'Delete';
  const samples = run.summary ? `its ${int(run.summary.counts.total)} samples` : 'its samples';
  const status = h('div', { class: 'action-status' });
  const ask = h('button', { type: 'button', class: 'danger', id: active ? 'cancel-run' : 'delete-run' }, `${verb} run…`);
  const confirm = h('button', { type: 'button', class: 'danger', id: active ? 'confirm-cancel' : 'confirm-delete' }, `${verb} run`);
  const keep = h('button', { type: 'button', class: 'secondary', id: 'keep-run' }, 'Keep it');
  const question = h(
    'span',
    { class: 'confirm', hidden: true },
    active ? 'Cancel this run? Its pending samples will not run; scored ones are kept.' : `Delete this run and ${samples}? This cannot be undone.`,
    confirm,
    keep,
  );
  const asking = (yes) => {
    ask.hidden = yes;
    question.hidden = !yes;
  };
  ask.addEventListener('click', () => {
    replace(status);
    asking(true);
  });
  keep.addEventListener('click', () => asking(false));
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    keep.disabled = true;
    try {
      if (active) {
        onCancelled((await post(`/v1/runs/${encodeURIComponent(run.id)}/cancel`)).run);
        return;
      }
      await del(`/v1/runs/${encodeURIComponent(run.id)}`);
      // Replaced, not pushed: Back must not lead to the page of a run that no longer exists.
      location.replace('#/runs');
    } catch (err) {
      asking(false);
      replace(status, errorBox(err));
    } finally {
      confirm.disabled = false;
      keep.disabled = false;
    }
  });
  replace(el, ask, question, status);
}

/** The benchmark's own breakdown (Spider's hardness, MMLU's subject, BBH's task): the first metric per group. */
function groupTable(groups) {
  const name = groups[0] && groups[0].metrics[0] ? groups[0].metrics[0].name : 'score';
  return h(
    'details',
    { class: 'groups', id: 'groups', open: groups.length <= 10 },
    h('summary', {}, `By group (${groups.length})`),
    h(
      'table',
      { class: 'grid metrics' },
      h('thead', {}, h('tr', {}, ['Group', name, '95% CI', 'n'].map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        groups.map((g) => {
          const m = g.metrics[0];
          return h('tr', {}, h('td', {}, g.name), h('td', { class: 'num' }, m ? pct(m.value) : '–'), h('td', { class: 'ci' }, m ? ci(m.ci) : ''), h('td', { class: 'num' }, m ? int(m.n) : '0'));
        }),
      ),
    ),
  );
}

/** What does not change while the run is polled: comparing it with another run, and what re-creates it. */
function tools(run) {
  return h(
    'section',
    { class: 'card', id: 'run-tools' },
    h(
      'form',
      {
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          const other = new FormData(e.target).get('other');
          if (other) location.hash = route(['compare'], { a: String(other).trim(), b: run.id });
        },
      },
      h('label', {}, 'Compare with baseline run ', h('input', { name: 'other', placeholder: 'run id', size: '38', class: 'mono' })),
      h('button', { type: 'submit' }, 'Compare'),
    ),
    run.spec ? h('details', {}, h('summary', {}, 'What re-creates this run (spec and config)'), pre(JSON.stringify({ config: run.config, spec: run.spec }, null, 2))) : null,
  );
}

function fillSamples(el, run, page, filter, pageNo, cursor) {
  const link = (changes) => route(['runs', run.id], { filter: filter === 'all' ? '' : filter, ...changes });
  const before = stepTrail('samples', `${run.id}|${filter}`, pageNo, cursor);
  const prev = pageNo > 1 ? (before === undefined ? link({}) : link({ cursor: before, page: pageNo - 1 })) : null;
  const next = page.nextCursor ? link({ cursor: page.nextCursor, page: pageNo + 1 }) : null;

  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'sample filter' },
    Object.keys(FILTERS).map((f) =>
      h('a', { href: route(['runs', run.id], { filter: f === 'all' ? '' : f }), class: f === filter ? 'active' : '', 'data-filter': f }, f),
    ),
  );
  const rows = page.samples.map((s) => {
    const finished = s.status === 'scored' || s.status === 'errored';
    return h(
      'tr',
      { class: `sample-row status-${s.status} ${s.passed === false ? 'failed' : ''}`, 'data-sample-id': s.id },
      h('td', { class: 'num' }, String(s.itemIndex)),
      h('td', {}, h('a', { href: route(['runs', run.id, 'samples', s.id]), class: 'mono' }, s.itemId)),
      h('td', { class: 'num' }, String(s.sampleIndex)),
      h('td', {}, s.status === 'scored' ? (s.passed === false ? h('span', { class: 'badge badge-failed' }, 'failed') : s.passed ? h('span', { class: 'badge badge-succeeded' }, 'passed') : h('span', { class: 'badge badge-scored' }, 'scored')) : h('span', { class: `badge badge-${s.status}` }, s.status)),
      h('td', { class: 'num' }, s.score === null ? '–' : String(Math.round(s.score * 1000) / 1000)),
      h('td', { class: 'num' }, finished ? int(s.promptTokens + s.completionTokens) : '–'),
      h('td', { class: 'num' }, finished ? `${int(s.latencyMs)} ms` : '–'),
      h('td', { class: 'why' }, s.error ? h('span', { class: 'bad' }, snippet(s.error)) : snippet(s.detail && s.detail.score && s.detail.score.reason)),
    );
  });
  replace(
    el,
    h('div', { class: 'page-head' }, h('h2', {}, 'Samples'), tabs),
    rows.length
      ? h(
          'table',
          { class: 'grid', id: 'samples-table' },
          h('thead', {}, h('tr', {}, ['Item', 'Item id', 'Sample', 'Outcome', 'Score', 'Tokens', 'Latency', 'Why'].map((c) => h('th', {}, c)))),
          h('tbody', {}, rows),
        )
      : h('p', { class: 'empty' }, filter === 'all' ? 'This run has no samples.' : `No ${filter} samples.`),
    pager(`page ${pageNo}, ${PAGE} per page`, prev, next),
  );
}
