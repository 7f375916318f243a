// Shared helpers for the demo EHR pages: JSON fetching, a small DOM builder, the header's session
// area, and the signed-out and error panels. DOM is built with createElement/textContent/setAttribute
// only; data from the server never reaches innerHTML.

export class ApiError extends Error {
  constructor(status, body, fallbackMessage) {
    const detail = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : {};
    super(typeof detail.message === 'string' && detail.message ? detail.message : fallbackMessage);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof detail.code === 'string' ? detail.code : null;
    this.requestId = typeof detail.request_id === 'string' ? detail.request_id : null;
    this.body = body;
  }
}

function statusMessage(status) {
  if (status === 401) return 'You are not signed in.';
  if (status === 403) return 'You are not allowed to see this.';
  if (status === 404) return 'Not found.';
  if (status === 410) return 'This record was deleted.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `The server answered ${status}.`;
}

/**
 * GET (or `method`, for an action without a body) a JSON document from this server with the session
 * cookie. Throws ApiError when not 2xx.
 */
export async function fetchJSON(path, { signal, method = 'GET' } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError(0, null, 'Could not reach the server. Check your connection and try again.');
  }
  let body = null;
  if ((response.headers.get('Content-Type') || '').includes('json')) {
    try { body = await response.json(); } catch { body = null; }
  }
  if (!response.ok) throw new ApiError(response.status, body, statusMessage(response.status));
  if (body === null || typeof body !== 'object') {
    throw new ApiError(response.status, null, 'The server sent an answer this page cannot read.');
  }
  return body;
}

/**
 * h('a', {href: '/x', class: 'c'}, 'text', childNode, [more]) — attributes via setAttribute, text via
 * text nodes. `on<event>` props with a function become listeners. null/false props and children are skipped.
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  appendChildren(node, children);
  return node;
}

function appendChildren(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A decorative stroke icon (aria-hidden). `paths` are trusted constants from this code, never data. */
export function icon(className, paths) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    class: className, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': '2',
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
  })) svg.setAttribute(k, v);
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

export const ICONS = {
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  alert: ['M12 3l9.5 17h-19z', 'M12 10v4', 'M12 17.5v.01'],
  search: ['M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z', 'M15.5 15.5L20 20'],
  trash: ['M4 7h16', 'M9 7V4h6v3', 'M6 7l1 13h10l1-13'],
};

/** A same-origin path from the server ("/demo/sign-in"), or null for anything else (absolute, //host, javascript:…). */
export function sameOriginPath(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  try {
    const url = new URL(value, location.origin);
    return url.origin === location.origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

/** `path` with return_to=<returnTo> added to its query. */
export function withReturnTo(path, returnTo) {
  const url = new URL(path, location.origin);
  url.searchParams.set('return_to', returnTo);
  return url.pathname + url.search;
}

/** This page's path and query, the return_to for links that should come back here. */
export function currentPath() {
  return location.pathname + location.search;
}

export function fullName(patient) {
  const name = [patient.first_name, patient.last_name].filter((p) => typeof p === 'string' && p.trim()).join(' ');
  return name || 'Unnamed patient';
}

export function initials(patient) {
  const letters = [patient.first_name, patient.last_name]
    .map((p) => (typeof p === 'string' ? p.match(/\p{L}/u) : null))
    .filter(Boolean)
    .map((m) => m[0].toUpperCase());
  return letters.join('') || '?';
}

/** "1984-03-12" → "Mar 12, 1984" without time-zone drift; anything else is shown as given. */
export function formatDate(value) {
  if (typeof value !== 'string') return '';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return value;
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** Whole years between a yyyy-mm-dd birth date and today, or null. */
export function ageFrom(value, today = new Date()) {
  const match = typeof value === 'string' && /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  let age = today.getFullYear() - +match[1];
  const beforeBirthday = today.getMonth() + 1 < +match[2] || (today.getMonth() + 1 === +match[2] && today.getDate() < +match[3]);
  if (beforeBirthday) age -= 1;
  return age >= 0 && age < 150 ? age : null;
}

export function formatDateTime(value) {
  const date = new Date(value);
  if (typeof value !== 'string' || Number.isNaN(date.getTime())) return typeof value === 'string' ? value : '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

const GENDERS = { male: 'Male', female: 'Female', x: 'X (non-binary or unspecified)' };
export function formatGender(value) {
  if (typeof value !== 'string' || !value) return '';
  return GENDERS[value] || value;
}

/** Replace the contents of the page's main view (#view) and clear its aria-busy. */
export function setView(...children) {
  const view = document.getElementById('view');
  view.replaceChildren(...children.flat().filter(Boolean));
  view.removeAttribute('aria-busy');
  return view;
}

/** Move focus to a freshly rendered heading so keyboard and screen-reader users start there. */
export function focusHeading(node) {
  if (!node) return;
  node.setAttribute('tabindex', '-1');
  node.focus({ preventScroll: true });
}

/** The "You are not signed in" panel. `body` is the 401 JSON (it may carry sign_in_url). */
export function signedOutPanel(body) {
  const signIn = sameOriginPath(body && body.sign_in_url);
  const heading = h('h1', { id: 'signed-out-heading' }, 'You are not signed in');
  const panel = h('section', { class: 'card panel', id: 'signed-out', 'aria-labelledby': 'signed-out-heading' },
    icon('panel__icon', ICONS.lock),
    heading,
    signIn
      ? [
          h('p', null, 'This is the demo EHR. Sign in as one of the seeded practitioners or staff members to see patients.'),
          h('a', { class: 'btn-primary', id: 'sign-in-link', href: withReturnTo(signIn, currentPath()) }, 'Sign in to the demo EHR'),
        ]
      : [
          h('p', null, 'Open this page from your EHR. The EHR signs you in by launching this server with a short-lived launch link (',
            h('code', null, '/launch?token=…'), ').'),
          h('p', null, 'If you came from the EHR, your session may have expired: go back to the EHR and open the patient again.'),
        ],
  );
  document.getElementById('session')?.replaceChildren();
  return { panel, heading };
}

/** A full-width error panel for a failed page load (not found, deleted, server trouble). */
export function errorPanel({ title, message, error, iconPaths = ICONS.alert, actions = [] }) {
  const heading = h('h1', { id: 'error-heading' }, title);
  const panel = h('section', { class: 'card panel panel--error', id: 'page-error', role: 'alert', 'aria-labelledby': 'error-heading' },
    icon('panel__icon', iconPaths),
    heading,
    h('p', null, message || (error && error.message) || 'Something went wrong.'),
    error && error.requestId ? h('p', { class: 'request-id' }, 'Request id: ', h('code', null, error.requestId)) : null,
    actions,
  );
  return { panel, heading };
}

/** An inline error notice (e.g. "could not load more patients") that keeps the rest of the page. */
export function errorNotice(error, prefix) {
  return h('div', { class: 'notice notice--error', role: 'alert' },
    h('div', { class: 'notice__body' },
      h('p', null, prefix ? `${prefix} ` : '', error.message),
      error.requestId ? h('p', { class: 'request-id' }, 'Request id: ', h('code', null, error.requestId)) : null));
}

/**
 * Fills the header's #session area from GET /ehr/api/me: the user's name, the connected Fullscript
 * account (or a Connect link), and the Sign out form. Disconnect lives on the "Fullscript account"
 * settings page (account.html, in the nav), away from Sign out. Forms are plain POSTs so they
 * work without JS too.
 */
export function renderSession(me) {
  const area = document.getElementById('session');
  if (!area) return;
  const user = (me && me.user) || {};
  const fullscript = (me && me.fullscript) || {};
  const returnTo = currentPath();
  const ownerType = typeof fullscript.resource_owner_type === 'string' ? fullscript.resource_owner_type : null;

  const status = fullscript.connected
    ? h('span', {
        class: 'status-pill status-pill--connected', id: 'fullscript-status',
        dataset: { connected: 'true', ownerType: ownerType || '' },
      }, h('span', { class: 'status-pill__label status-pill__label--account' }, 'Fullscript:'), ' ', accountLabel(fullscript))
    : h('span', { class: 'status-pill status-pill--disconnected', id: 'fullscript-status', dataset: { connected: 'false' } },
        h('span', { class: 'status-pill__label' }, 'Fullscript'), ' ', 'Not connected');

  // Connected: the nav's "Fullscript account" page reconnects and disconnects. A viewer may not connect.
  const fullscriptAction = fullscript.connected || user.can_recommend === false ? null
    : h('a', { class: 'header-link', id: 'connect-fullscript', href: withReturnTo('/oauth/fullscript/connect', returnTo) },
        'Connect Fullscript');

  area.replaceChildren(...[
    h('span', { class: 'session__practice' }, h('span', { class: 'visually-hidden' }, 'Practice: '),
      h('span', { id: 'practice-name', dataset: { tenant: user.tenant || '' } }, user.tenant_name || user.tenant || '')),
    h('span', null, h('span', { class: 'visually-hidden' }, 'Signed in as '),
      h('span', { class: 'session__user', id: 'user-name', dataset: { userId: user.id || '' } }, user.name || user.id || 'Unknown user')),
    status,
    fullscriptAction,
    h('form', { method: 'post', action: '/logout', id: 'sign-out-form' },
      h('button', { type: 'submit', class: 'btn btn--on-dark btn--small', id: 'sign-out-button' }, 'Sign out')),
  ].filter(Boolean));
  renderAccountWarning(me);
}

/** The demo EHR's settings page for the Fullscript connection. */
export const ACCOUNT_PAGE = '/account.html';

/** "Avery Quinn (Practitioner)", or "Practitioner account" while Fullscript has not told us the name. */
export function accountLabel(fullscript) {
  const type = typeof fullscript.resource_owner_type === 'string' ? fullscript.resource_owner_type : 'Fullscript';
  const name = typeof fullscript.account_name === 'string' && fullscript.account_name.trim() ? fullscript.account_name : null;
  return name ? `${name} (${type})` : `${type} account`;
}

/**
 * Above the page, while the connected Fullscript account does not look like the signed-in user
 * (/ehr/api/me's account_check): plans would be made as someone else. Names both, offers Reconnect.
 */
function renderAccountWarning(me) {
  const existing = document.getElementById('account-warning');
  const fullscript = (me && me.fullscript) || {};
  const main = document.getElementById('main');
  if (!main || !fullscript.connected || fullscript.account_check !== 'mismatch') {
    existing?.remove();
    return;
  }
  const user = (me && me.user) || {};
  const warning = h('div', { class: 'notice notice--warn account-warning', id: 'account-warning', role: 'alert' },
    h('div', { class: 'notice__body' },
      h('p', null, h('strong', null, 'Check your Fullscript account. '),
        'Fullscript is connected as ', h('strong', { id: 'account-warning-fullscript' }, accountLabel(fullscript)),
        ', but you are signed in to the EHR as ', h('strong', { id: 'account-warning-ehr' }, user.name || user.id || 'another user'),
        '. Plans you start are made as that Fullscript account.'),
      h('p', null,
        h('a', { id: 'account-warning-reconnect', href: withReturnTo('/oauth/fullscript/connect', currentPath()) }, 'Reconnect with your own account'),
        ' · ',
        h('a', { href: ACCOUNT_PAGE }, 'Fullscript account settings'))));
  if (existing) existing.replaceWith(warning);
  else main.prepend(warning);
}

/** Loads /ehr/api/me. Resolves to {me} when signed in, {signedOut: body} on 401; other errors throw. */
export async function loadSession() {
  try {
    return { me: await fetchJSON('/ehr/api/me') };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return { signedOut: error.body || {} };
    throw error;
  }
}

/**
 * What every page does first: learn who is signed in and draw the header. Resolves to the
 * /ehr/api/me body, or to null once the signed-out or error panel is shown.
 */
export async function startSignedInPage() {
  let session;
  try {
    session = await loadSession();
  } catch (error) {
    setView(errorPanel({ title: 'The EHR could not load', error }).panel);
    return null;
  }
  if (session.signedOut) {
    showSignedOut(session.signedOut);
    return null;
  }
  renderSession(session.me);
  refreshSessionWhenShownAgain();
  return session.me;
}

/**
 * The connect flow finishes in the tab the button opened; when the user comes back to this one,
 * show the connection as it is now rather than as it was when the page loaded.
 */
function refreshSessionWhenShownAgain() {
  // Coming back to a tab fires both visibilitychange and focus: one read serves both.
  let reading = false;
  const refresh = async () => {
    if (document.visibilityState !== 'visible' || reading) return;
    reading = true;
    try {
      const again = await loadSession();
      if (!again.me) return;
      renderSession(again.me);
      if (again.me.fullscript && again.me.fullscript.connected) document.getElementById('connect-hint')?.remove();
      // The page's own parts that follow the session (the chart's notes) read it from here: one request.
      document.dispatchEvent(new CustomEvent('sessionrefresh', { detail: again.me }));
    } catch {
      // The header keeps what it showed; the next visit tries again.
    } finally {
      reading = false;
    }
  };
  document.addEventListener('visibilitychange', refresh);
  window.addEventListener('focus', refresh);
}

/** Show the signed-out panel in the main view. */
export function showSignedOut(body) {
  const { panel, heading } = signedOutPanel(body);
  setView(panel);
  document.title = 'Not signed in · Demo EHR';
  return heading;
}
