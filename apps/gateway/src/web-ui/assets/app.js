// The web UI's router: hash routes (#/runs, #/runs/ID, #/runs/ID/samples/SID, #/compare, #/schedules, #/login), each
// rendered by one page module into <main>. A page gets a `live` object whose `active` turns false when the user
// navigates away, so its polling stops.
import { apiKey, identity, logout } from './api.js';
import { errorBox, h, replace } from './dom.js';
import { renderCompare } from './compare-page.js';
import { renderLogin } from './login-page.js';
import { renderRun } from './run-page.js';
import { renderRuns } from './runs-page.js';
import { renderSample } from './sample-page.js';
import { renderSchedules } from './schedules-page.js';

const main = document.getElementById('app');
let live = { active: false };

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  return { parts, query: Object.fromEntries(new URLSearchParams(qs)) };
}

function page(parts) {
  const [first, id, sub, sampleId] = parts;
  if (first === 'login') return { name: 'login', render: renderLogin };
  if (first === 'runs' && id && sub === 'samples' && sampleId) return { name: 'runs', render: (el, q, l) => renderSample(el, id, sampleId, q, l) };
  if (first === 'runs' && id && !sub) return { name: 'runs', render: (el, q, l) => renderRun(el, id, q, l) };
  if (first === 'runs' || first === undefined) return { name: 'runs', render: renderRuns };
  if (first === 'compare') return { name: 'compare', render: renderCompare };
  if (first === 'schedules') return { name: 'schedules', render: renderSchedules };
  return undefined;
}

async function show() {
  live.active = false;
  live = { active: true };
  const { parts, query } = parse();
  const signedIn = Boolean(apiKey());
  document.getElementById('logout').hidden = !signedIn;
  const me = signedIn ? identity() : null;
  const whoami = document.getElementById('whoami');
  whoami.hidden = me === null;
  whoami.textContent = me ? `${me.team} · ${me.role}` : '';
  document.getElementById('nav').hidden = !signedIn;
  if (!signedIn && parts[0] !== 'login') {
    location.replace('#/login');
    return;
  }
  const target = page(parts);
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', target !== undefined && a.dataset.nav === target.name);
  if (!target) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'This page does not exist. ', h('a', { href: '#/runs' }, 'Back to the runs')));
    return;
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await target.render(main, query, live);
  } catch (err) {
    if (err && err.status === 401) {
      logout();
      sessionStorage.setItem('lemur.loginMessage', `${err.message}. Log in again.`);
      location.replace('#/login');
      return;
    }
    if (live.active) replace(main, errorBox(err), h('p', {}, h('a', { href: '#/runs' }, 'Back to the runs')));
  }
}

document.getElementById('logout').addEventListener('click', () => {
  logout();
  location.hash = '#/login';
});
window.addEventListener('hashchange', show);
show();
