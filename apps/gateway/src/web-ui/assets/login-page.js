import { ApiError, get, setApiKey } from './api.js';
import { errorBox, h, replace } from './dom.js';

/**
 * The login form: the key is checked against the API before it is kept (sessionStorage, this tab only), with the team and
 * role GET /v1/me names for it.
 */
export async function renderLogin(main) {
  const message = sessionStorage.getItem('lemur.loginMessage');
  sessionStorage.removeItem('lemur.loginMessage');
  const status = h('div', { id: 'login-status' }, message ? errorBox(new ApiError(401, 'UNAUTHENTICATED', message)) : null);
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'lmr_…',
    required: 'required',
  });
  const button = h('button', { type: 'submit', id: 'login-submit' }, 'Log in');
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        button.disabled = true;
        replace(status, h('p', { class: 'muted' }, 'Checking the key…'));
        try {
          setApiKey(key, await get('/v1/me', key));
          location.hash = '#/runs';
        } catch (err) {
          const hint =
            err.status === 401
              ? 'That key was not accepted. Check it (lemur up prints the local admin key; admins create keys with lemur keys create).'
              : 'Could not check the key.';
          replace(status, errorBox(err), h('p', {}, hint));
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', {}, 'Log in to Lemur'),
    h('p', { class: 'muted' }, 'Paste an API key. It is kept in this browser tab only, until you log out or close the tab.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    button,
    status,
  );
  replace(main, form);
  input.focus();
}
