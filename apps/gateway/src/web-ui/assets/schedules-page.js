import { get, query } from './api.js';
import { badge, h, replace, route } from './dom.js';
import { shortId, time } from './format.js';
import { mainMetric, regressionFlag, statusBadge } from './widgets.js';

const RECENT = 5;

/** The team's schedules, each with its latest runs and their regression flags. */
export async function renderSchedules(main, _q, live) {
  const { schedules } = await get('/v1/schedules');
  const recent = await Promise.all(schedules.map((s) => get(`/v1/runs${query({ schedule: s.id, limit: RECENT })}`)));
  if (!live.active) return;
  if (schedules.length === 0) {
    replace(main, h('h1', {}, 'Schedules'), h('p', { class: 'empty' }, 'No schedules. Admins create them with: lemur schedules create'));
    return;
  }
  replace(
    main,
    h('h1', {}, 'Schedules'),
    schedules.map((s, i) => {
      const runs = recent[i].runs;
      const regressed = runs.some((r) => r.regression && r.regression.regressed);
      return h(
        'section',
        { class: 'card schedule', 'data-schedule-id': s.id },
        h('div', { class: 'page-head' }, h('h2', {}, s.name), s.enabled ? badge('enabled', 'ok') : badge('disabled', 'cancelled'), regressed ? badge('regression in recent runs', 'regressed') : null),
        h(
          'p',
          {},
          h('span', { class: 'mono' }, s.cron), ` (${s.timezone}) · ${s.model} on ${s.benchmarks.join(', ')} · baseline: `,
          s.baseline === 'previous' ? 'previous run' : h('a', { href: route(['runs', s.baseline]), class: 'mono' }, shortId(s.baseline)),
        ),
        h('p', { class: 'muted' }, `next ${time(s.nextRunAt)} · last ${time(s.lastRunAt)} · last success ${time(s.lastSuccessAt)}`),
        // Set while a team quota holds the due tick back, so a team sees why no run started and what frees it.
        s.lastSkipReason ? h('p', { class: 'held-back' }, `held back: ${s.lastSkipReason}`) : null,
        runs.length
          ? h(
              'table',
              { class: 'grid' },
              h('thead', {}, h('tr', {}, ['Run', 'Benchmark', 'Status', 'Score (95% CI)', 'Regression', 'Created'].map((c) => h('th', {}, c)))),
              h(
                'tbody',
                {},
                runs.map((r) =>
                  h(
                    'tr',
                    { 'data-run-id': r.id },
                    h('td', {}, h('a', { href: route(['runs', r.id]), class: 'mono' }, shortId(r.id))),
                    h('td', {}, r.benchmark),
                    h('td', {}, statusBadge(r.status)),
                    h('td', {}, mainMetric(r)),
                    h('td', {}, regressionFlag(r), r.regression && r.regression.baselineRunId ? [' ', h('a', { href: route(['compare'], { a: r.regression.baselineRunId, b: r.id }) }, 'compare')] : null),
                    h('td', { class: 'muted' }, time(r.createdAt)),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No runs yet.'),
        h('p', {}, h('a', { href: route(['runs'], { schedule: s.id }) }, 'All runs of this schedule →')),
      );
    }),
  );
}
