import { get } from './api.js';
import { badge, errorBox, facts, h, pre, replace, route } from './dom.js';
import { int, shortId } from './format.js';

/** One sample: the prompt, every turn of the transcript (model, feedback, actions and observations), the verdict. */
export async function renderSample(main, runId, sampleId, _q, live) {
  const [{ sample }, { run }] = await Promise.all([
    get(`/v1/runs/${encodeURIComponent(runId)}/samples/${encodeURIComponent(sampleId)}`),
    get(`/v1/runs/${encodeURIComponent(runId)}`),
  ]);
  if (!live.active) return;
  const detail = sample.detail || {};
  const score = detail.score || null;
  const transcript = Array.isArray(detail.transcript) ? detail.transcript : null;
  const outcome =
    sample.status === 'scored' ? (sample.passed === false ? badge('failed', 'failed') : sample.passed ? badge('passed', 'succeeded') : badge('scored')) : badge(sample.status);

  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs'), ' / ', h('a', { href: route(['runs', runId]), class: 'mono' }, `${shortId(runId)} (${run.model} on ${run.benchmark})`), ' / ', sample.itemId),
    h(
      'section',
      { class: 'card', id: 'sample-summary' },
      h('div', { class: 'page-head' }, h('h1', {}, sample.itemId), outcome),
      facts([
        ['Score', sample.score === null ? 'unscored' : String(sample.score)],
        ['Item / sample', `${sample.itemIndex} / ${sample.sampleIndex}`],
        ['Tokens', `${int(sample.promptTokens)} prompt, ${int(sample.completionTokens)} completion`],
        ['Latency', `${int(sample.latencyMs)} ms`],
        ['Attempts', detail.attempts === undefined ? null : String(detail.attempts)],
      ]),
      sample.error ? errorBox({ code: 'ERRORED', message: sample.error }) : null,
    ),
    score ? h('section', { class: 'card', id: 'verdict' }, h('h2', {}, 'Score and why'), scoreFacts(score)) : null,
    h('section', { class: 'card', id: 'prompt' }, h('h2', {}, 'Prompt'), pre(sample.prompt || '(none stored)')),
    h(
      'section',
      { class: 'card', id: 'transcript' },
      h('h2', {}, 'Transcript'),
      transcript && transcript.length
        ? h('ol', { class: 'turns' }, transcript.map(turn))
        : sample.completion
          ? h('ol', { class: 'turns' }, h('li', { class: 'turn turn-model' }, h('div', { class: 'turn-head' }, badge('model', 'model')), pre(sample.completion)))
          : h('p', { class: 'muted' }, 'No transcript: the sample has not produced one.'),
    ),
  );
}

/** The scorer's reasons: `reason` first, then every other field (objects as JSON text). */
function scoreFacts(score) {
  const entries = Object.entries(score).sort(([a], [b]) => (a === 'reason' ? -1 : b === 'reason' ? 1 : 0));
  return facts(entries.map(([k, v]) => [k, typeof v === 'object' && v !== null ? pre(JSON.stringify(v, null, 2)) : String(v)]));
}

function meta(parts) {
  return h('span', { class: 'muted turn-meta' }, parts.filter(Boolean).join(' · '));
}

/** One transcript event, by role and kind; anything unknown is shown as its JSON. */
function turn(e) {
  if (!e || typeof e !== 'object') return h('li', { class: 'turn' }, pre(JSON.stringify(e)));
  if (e.role === 'model' || e.role === 'feedback') {
    return h(
      'li',
      { class: `turn turn-${e.role}` },
      h('div', { class: 'turn-head' }, badge(e.role === 'model' ? 'model' : 'feedback', e.role), meta([
        e.completionTokens !== undefined ? `${e.completionTokens} tokens` : '',
        e.latencyMs !== undefined ? `${e.latencyMs} ms` : '',
        e.finishReason ? `finish: ${e.finishReason}` : '',
      ])),
      pre(e.content),
    );
  }
  if (e.role === 'action' && e.kind === 'execute') {
    return h(
      'li',
      { class: 'turn turn-execute' },
      h('div', { class: 'turn-head' }, badge('execute', 'execute'), meta([
        e.exitCode !== null && e.exitCode !== undefined ? `exit ${e.exitCode}` : '',
        e.timedOut ? 'timed out' : '',
        e.wallMs !== undefined ? `${e.wallMs} ms` : '',
        e.sessionRestarted ? 'session restarted' : '',
      ])),
      pre(e.code, 'code'),
      h('div', { class: 'turn-head' }, badge('observation', 'observation')),
      pre(e.observation, 'observation'),
    );
  }
  if (e.role === 'action' && e.kind === 'propose') {
    return h(
      'li',
      { class: 'turn turn-propose' },
      h('div', { class: 'turn-head' }, badge('solution', 'propose'), e.success ? badge('correct', 'succeeded') : badge('wrong', 'failed'), meta([e.reason])),
      pre(e.solution),
      e.observation ? pre(e.observation, 'observation') : null,
      e.error ? errorBox({ code: 'ERROR', message: e.error }) : null,
    );
  }
  if (e.role === 'environment') {
    return h('li', { class: 'turn turn-environment' }, h('div', { class: 'turn-head' }, badge('environment', 'environment')), pre(e.content));
  }
  if (e.role === 'verdict') {
    return h(
      'li',
      { class: 'turn turn-verdict' },
      h('div', { class: 'turn-head' }, badge('verdict', 'verdict'), e.success ? badge('success', 'succeeded') : badge('no success', 'failed')),
      h('p', {}, e.reason),
    );
  }
  return h('li', { class: 'turn' }, h('div', { class: 'turn-head' }, badge(String(e.role || 'event'), 'event')), pre(JSON.stringify(e, null, 2)));
}
