// The chart's "Treatment plans" panel: <section id="treatment-plans" aria-live="polite">, filled from
// GET /ehr/api/patients/:id/treatment-plans, kept current by the server-sent events of
// …/treatment-plans/events (one plan replaced in place per event, newest first), and refreshed from
// Fullscript on demand by POST …/treatment-plans/refresh (the Refresh button). The same stream's
// `patient` events (the patient just linked to Fullscript) go to the chart's `onPatient`.
//
// A plan, as the server stores it: {id, state, practitioner_id, practitioner_name, created_at, updated_at,
// personal_message, invitation_url, change_seq, recommendations: [{variant_id, units_to_purchase, dosage:
// {amount, frequency, duration, …}, product: {name, brand, form, size}}], resources: [{title, url}],
// lab_recommendations: [{lab: {name}, tests: [{name}]}]}. `product` and `practitioner_name` are there when
// Fullscript named them; otherwise the ids are shown. `change_seq` only grows, so the higher one of two
// copies of a plan is the newer.
//
// Orders (issue 16): each plan says "Ordered N times, last on DATE" or "Not ordered yet" (ordered_count,
// last_ordered_at); below the plans, the patient's orders ({id, order_number, completed_at, is_lab,
// line_items: [{variant_id, quantity, type, product}]}) and lab orders ({id, state, tests, updated_at}),
// from the same list and kept current by the stream's `order` and `lab_order` events.

import { ApiError, currentPath, errorNotice, fetchJSON, formatDateTime, h, withReturnTo } from './app.js';
import { configurePlanActions, planActions } from './plan-actions.js';

const STATE_LABELS = { draft: 'Draft', active: 'Active', cancelled: 'Cancelled', completed: 'Completed' };

function stateLabel(state) {
  if (typeof state !== 'string' || !state) return 'Unknown';
  return STATE_LABELS[state] || state.charAt(0).toUpperCase() + state.slice(1);
}

function timeOf(value) {
  const time = Date.parse(value);
  return Number.isNaN(time) ? -Infinity : time;
}

/** A dosage as text: usually already a string; Fullscript's {amount, frequency, duration, …} is joined. */
function dosageText(dosage) {
  if (typeof dosage === 'string') return dosage.trim();
  if (dosage && typeof dosage === 'object') {
    const part = (key) => (Array.isArray(dosage[key]) ? dosage[key].join(', ') : dosage[key]);
    // "1 capsule" with format "capsule" reads once, not "1 capsule capsule".
    const format = part('format');
    const amountText = part('amount') == null ? '' : String(part('amount'));
    const repeats = format && amountText.toLowerCase().includes(String(format).toLowerCase());
    const amount = [amountText, repeats ? null : format].filter((p) => p != null && p !== '').join(' ');
    return [amount, part('frequency'), part('time_of_day'), part('duration'), part('additional_info')]
      .filter((p) => p != null && p !== '')
      .join(', ');
  }
  return '';
}

function timeElement(value) {
  return typeof value === 'string' && value ? h('time', { datetime: value }, formatDateTime(value)) : null;
}

/** Only http(s) links from the data become hrefs (never javascript: or data:). */
function safeLink(value) {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function text(value) {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/** The catalog's names for the variant, or its id when Fullscript could not be asked. */
function productLabel(item) {
  const product = item.product && typeof item.product === 'object' ? item.product : {};
  const name = text(product.name);
  if (!name) return item.variant_id != null ? ['Variant ', h('code', null, String(item.variant_id))] : 'Unnamed product';
  const details = [text(product.brand), [text(product.form), text(product.size)].filter(Boolean).join(', ')].filter(Boolean);
  return [h('strong', { class: 'plan__product-name' }, name), details.length ? h('span', { class: 'plan__product-detail' }, ` · ${details.join(' · ')}`) : null];
}

function recommendationItem(item) {
  const dosage = dosageText(item.dosage);
  return h('li', { dataset: { variantId: item.variant_id == null ? '' : String(item.variant_id) } },
    h('span', { class: 'plan__product' }, productLabel(item)),
    dosage ? h('span', { class: 'plan__dosage' }, ` — ${dosage}`) : null);
}

function objects(value) {
  return Array.isArray(value) ? value.filter((item) => item && typeof item === 'object') : [];
}

/** Reading attached to the plan: a link when it has a safe one, its title either way. */
function resourceItem(resource) {
  const title = text(resource.title) || text(resource.name) || 'Untitled resource';
  const url = safeLink(resource.url);
  return h('li', null, url
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, title, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'))
    : title);
}

function labItem(lab) {
  const name = lab.lab && typeof lab.lab === 'object' ? text(lab.lab.name) : text(lab.name);
  const tests = objects(lab.tests).map((test) => text(test.name) || (test.id != null ? String(test.id) : null)).filter(Boolean);
  return h('li', null, name ? h('span', { class: 'plan__lab-name' }, `${name}: `) : null,
    tests.length ? tests.join(', ') : h('span', { class: 'muted' }, 'no tests listed'));
}

function planExtras(plan) {
  const resources = objects(plan.resources);
  const labs = objects(plan.lab_recommendations);
  return [
    labs.length
      ? h('div', { class: 'plan__labs' }, h('h4', null, 'Lab tests'), h('ul', { 'aria-label': 'Lab tests' }, labs.map(labItem)))
      : null,
    resources.length
      ? h('div', { class: 'plan__resources' }, h('h4', null, 'Resources'), h('ul', { 'aria-label': 'Resources' }, resources.map(resourceItem)))
      : null,
  ];
}

function planItem(plan) {
  const recommendations = Array.isArray(plan.recommendations) ? plan.recommendations.filter((item) => item && typeof item === 'object') : [];
  const state = typeof plan.state === 'string' ? plan.state : '';
  const created = timeElement(plan.created_at);
  const updated = plan.updated_at && plan.updated_at !== plan.created_at ? timeElement(plan.updated_at) : null;
  const practitionerName = text(plan.practitioner_name);
  const invitation = safeLink(plan.invitation_url);
  const id = plan.id == null ? '' : String(plan.id);
  return h('li', { class: 'plan', dataset: { planId: id, state, createdAt: typeof plan.created_at === 'string' ? plan.created_at : '' } },
    h('div', { class: 'plan__head' },
      h('h3', null, 'Treatment plan'),
      h('span', { class: `tag state state--${state.replace(/[^a-z_-]/gi, '') || 'unknown'}` }, stateLabel(state))),
    h('p', { class: 'plan__meta' },
      practitionerName ? ['By ', h('span', { class: 'plan__practitioner' }, practitionerName)]
        : plan.practitioner_id != null ? ['By practitioner ', h('code', null, String(plan.practitioner_id))] : 'Practitioner unknown',
      created ? [' · created ', created] : null,
      updated ? [' · updated ', updated] : null),
    orderSummary(plan),
    typeof plan.personal_message === 'string' && plan.personal_message.trim()
      ? h('blockquote', { class: 'plan__message' }, h('p', null, plan.personal_message))
      : null,
    recommendations.length
      ? h('ul', { class: 'plan__recs', 'aria-label': 'Recommendations' }, recommendations.map(recommendationItem))
      : h('p', { class: 'muted' }, 'No products in this plan yet.'),
    planExtras(plan),
    planActions(plan),
    invitation
      ? h('p', { class: 'plan__invitation' },
          h('a', { href: invitation, target: '_blank', rel: 'noopener noreferrer' },
            'Patient checkout link', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)')))
      : null);
}

function emptyNotice() {
  return h('p', { class: 'empty', id: 'treatment-plans-empty' }, 'No treatment plans yet.');
}

function newestFirst(plans) {
  return plans
    .map((plan, index) => ({ plan, index }))
    .sort((a, b) => timeOf(b.plan.created_at) - timeOf(a.plan.created_at) || a.index - b.index)
    .map(({ plan }) => plan);
}

/**
 * Renders `plans` (an array, newest first; re-sorted by created_at to be sure) into the panel's list
 * container. An empty or missing array shows "No treatment plans yet."
 */
export function renderPlans(plans, container = document.getElementById('treatment-plans-list')) {
  if (!container) return;
  const list = Array.isArray(plans) ? plans.filter((plan) => plan && typeof plan === 'object') : [];
  if (list.length === 0) {
    container.replaceChildren(emptyNotice());
    return;
  }
  container.replaceChildren(h('ol', { class: 'plans', 'aria-label': 'Treatment plans, newest first' }, newestFirst(list).map(planItem)));
}

/**
 * Puts one plan into the rendered list without redrawing the others (so the live region announces
 * only it): its item is replaced, or a new one goes where newest-first puts it.
 */
export function upsertPlan(plan, container = document.getElementById('treatment-plans-list')) {
  if (!container || !plan || typeof plan !== 'object' || plan.id == null) return;
  const list = container.querySelector('ol.plans');
  if (!list) {
    renderPlans([plan], container);
    return;
  }
  const item = planItem(plan);
  const existing = [...list.children].find((li) => li.dataset.planId === String(plan.id));
  if (existing && existing.dataset.createdAt === item.dataset.createdAt) {
    existing.replaceWith(item);
    return;
  }
  existing?.remove();
  const time = timeOf(plan.created_at);
  list.insertBefore(item, [...list.children].find((li) => timeOf(li.dataset.createdAt) < time) || null);
}

/** The panel itself: heading, live indicator, Refresh button, notes and errors, the list. */
export function plansSection() {
  return h('section', { id: 'treatment-plans', class: 'card chart-plans', 'aria-live': 'polite', 'aria-labelledby': 'treatment-plans-heading' },
    h('div', { class: 'plans-head' },
      h('h2', { id: 'treatment-plans-heading' }, 'Treatment plans'),
      // Announcing every reconnect would drown the plans themselves; a lasting problem is said below.
      h('span', { class: 'status-pill live-status', id: 'plans-live-status', dataset: { state: 'connecting' }, 'aria-live': 'off' },
        h('span', { class: 'visually-hidden' }, 'Live updates: '), h('span', { class: 'live-status__text' }, LIVE_TEXT.connecting)),
      h('button', { type: 'button', class: 'btn btn--small', id: 'refresh-plans', 'aria-describedby': 'refresh-plans-note' },
        refreshLabel('Refresh'))),
    h('p', { class: 'note', id: 'refresh-plans-note' }, 'Plans appear here by themselves; Refresh asks Fullscript directly.'),
    h('p', { class: 'note', id: 'plans-live-detail', hidden: true }),
    h('div', { id: 'plans-refresh-error' }),
    h('div', { id: 'treatment-plans-list' }, h('p', { class: 'loading' }, 'Loading treatment plans…')),
    ordersSection());
}

const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' };

function refreshLabel(text) {
  return [text, h('span', { class: 'visually-hidden' }, ' treatment plans from Fullscript')];
}

/** The indicator's state, and why when it matters: a sentence in the live region, not a tooltip. */
function setLiveStatus(state, detail = '') {
  const status = document.getElementById('plans-live-status');
  if (status) {
    status.dataset.state = state;
    status.querySelector('.live-status__text').textContent = LIVE_TEXT[state];
  }
  const note = document.getElementById('plans-live-detail');
  if (note && note.textContent !== detail) {
    note.textContent = detail;
    note.hidden = !detail;
  }
}

/** A refresh failure, with a way out when the fix is to (re)connect Fullscript. */
function refreshError(error) {
  const notice = errorNotice(error, 'Could not refresh from Fullscript.');
  if (error instanceof ApiError && ['fullscript_not_connected', 'fullscript_permission_missing'].includes(error.code)) {
    notice.querySelector('.notice__body').append(
      h('p', null, h('a', { href: withReturnTo('/oauth/fullscript/connect', currentPath()), id: 'plans-connect-link' }, 'Connect Fullscript')));
  }
  return notice;
}

/**
 * Loads the patient's plans, then keeps them current: an EventSource resumes from where the list
 * ended (and, reconnecting by itself, from its last event). When the browser gives up on it (the
 * server refused it or went away), the list is read again after a pause, longer each time, and a
 * new stream opened, until the session turns out to be over. Resolves once the first list is drawn.
 * `onPatient(patient)` gets the patient as the stream sends it when it changes (linked to Fullscript).
 * `canAct` false (a viewer) leaves out the plans' actions (plan-actions.js).
 */
export async function startPlans(patientId, { onPatient, canAct } = {}) {
  const base = `/ehr/api/patients/${encodeURIComponent(patientId)}/treatment-plans`;
  const section = document.getElementById('treatment-plans');
  const errors = document.getElementById('plans-refresh-error');
  const button = document.getElementById('refresh-plans');
  const known = new Map(); // plan id → change_seq shown
  let lastEventId = 0;
  let source = null;
  let retryDelay = 5000;
  let stopped = false;
  const orders = orderTracker();
  configurePlanActions({ patientId, canAct, onCancelled: (plan) => apply(plan) });

  /** Shows `plan` unless what is shown is as new (a late event can trail a refresh's answer). */
  function apply(plan) {
    if (!plan || typeof plan !== 'object' || plan.id == null) return;
    const seen = known.get(String(plan.id));
    if (seen != null && seen >= plan.change_seq) return;
    known.set(String(plan.id), plan.change_seq);
    document.getElementById('treatment-plans-empty')?.remove();
    upsertPlan(plan);
  }

  function applyList(body) {
    const plans = Array.isArray(body.plans) ? body.plans : [];
    if (known.size === 0) {
      for (const plan of plans) if (plan && plan.id != null) known.set(String(plan.id), plan.change_seq);
      renderPlans(plans);
    } else {
      for (const plan of plans) apply(plan);
    }
    orders.applyList(body);
    if (Number.isInteger(body.last_event_id)) lastEventId = Math.max(lastEventId, body.last_event_id);
  }

  function stop(detail) {
    stopped = true;
    source?.close();
    setLiveStatus('offline', detail);
  }

  /** Reads the list again; a signed-out session or a patient gone stops everything. */
  async function reload() {
    try {
      applyList(await fetchJSON(base));
      return true;
    } catch (error) {
      if (error instanceof ApiError && [401, 404, 410].includes(error.status)) stop(`Live updates stopped: ${error.message}`);
      return false;
    }
  }

  function retryLater() {
    setLiveStatus('offline', 'Live updates are paused and will resume by themselves; Refresh still works.');
    setTimeout(async () => {
      if (stopped) return;
      if (await reload()) connect();
      else if (!stopped) retryLater();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function connect() {
    if (stopped) return;
    setLiveStatus('connecting');
    source = new EventSource(`${base}/events?last_event_id=${lastEventId}`);
    const remember = (event) => {
      const id = Number.parseInt(event.lastEventId, 10);
      if (Number.isInteger(id)) lastEventId = Math.max(lastEventId, id);
    };
    source.addEventListener('open', () => {
      retryDelay = 5000;
      setLiveStatus('live');
    });
    source.addEventListener('ready', remember);
    source.addEventListener('plan', (event) => {
      remember(event);
      try { apply(JSON.parse(event.data)); } catch { /* a malformed event is skipped; Refresh shows the plan */ }
    });
    for (const name of ['order', 'lab_order']) {
      source.addEventListener(name, (event) => {
        remember(event);
        try { orders.applyEvent(name, JSON.parse(event.data)); } catch { /* a malformed event is skipped; Refresh shows it */ }
      });
    }
    source.addEventListener('patient', (event) => {
      try { onPatient?.(JSON.parse(event.data)); } catch { /* a malformed event is skipped; a reload shows the patient */ }
    });
    source.addEventListener('end', () => stop('Live updates stopped: your session ended. Open the chart from the EHR again.'));
    source.addEventListener('error', () => {
      // CONNECTING: the browser reconnects by itself, sending the last event id. CLOSED: it gave up.
      if (source.readyState === EventSource.CLOSED) retryLater();
      else setLiveStatus('connecting');
    });
  }

  button.addEventListener('click', async () => {
    if (button.getAttribute('aria-disabled') === 'true') return;
    // aria-disabled rather than disabled keeps keyboard focus on the button while it works.
    button.setAttribute('aria-disabled', 'true');
    button.replaceChildren(...refreshLabel('Refreshing…'));
    section.setAttribute('aria-busy', 'true');
    errors.replaceChildren();
    try {
      applyList(await fetchJSON(`${base}/refresh`, { method: 'POST' }));
      document.getElementById('refresh-plans-note').textContent = `Checked with Fullscript at ${formatDateTime(new Date().toISOString())}.`;
    } catch (error) {
      errors.replaceChildren(refreshError(error));
    } finally {
      button.removeAttribute('aria-disabled');
      button.replaceChildren(...refreshLabel('Refresh'));
      section.removeAttribute('aria-busy');
    }
  });

  section.setAttribute('aria-busy', 'true');
  try {
    applyList(await fetchJSON(base));
  } catch (error) {
    renderPlans([]);
    errors.replaceChildren(errorNotice(error, 'Could not load the treatment plans.'));
    if (error instanceof ApiError && [401, 404, 410].includes(error.status)) stop(`Live updates stopped: ${error.message}`);
  } finally {
    section.removeAttribute('aria-busy');
  }
  // A stream opened after a failed first load starts at 0: it sends every plan, which fills the list.
  if (typeof EventSource !== 'function') stop('This browser cannot receive live updates; use Refresh.');
  else connect();
}

// ---- Orders (issue 16): what the patient bought, and where lab results stand ----

const LAB_STATE_LABELS = {
  awaiting_results: 'Awaiting results', partial_results: 'Partial results', results_ready: 'Results ready',
  results_amended: 'Results amended', results_received: 'Results received', all_results_received: 'All results received',
};

function labStateLabel(state) {
  if (typeof state !== 'string' || !state) return 'Unknown';
  return LAB_STATE_LABELS[state] || state.replace(/_/g, ' ');
}

/** "Ordered 2 times, last on DATE", or "Not ordered yet", under a plan's byline. */
function orderSummary(plan) {
  const count = Number.isInteger(plan.ordered_count) ? plan.ordered_count : 0;
  if (count === 0) return h('p', { class: 'plan__orders muted' }, 'Not ordered yet');
  const last = timeElement(plan.last_ordered_at);
  return h('p', { class: 'plan__orders' }, `Ordered ${count} ${count === 1 ? 'time' : 'times'}`, last ? [', last on ', last] : null);
}

function lineItem(item) {
  const isLab = item.type === 'labs' || (typeof item.lab_type === 'string' && item.lab_type !== '');
  const quantity = Number.isInteger(item.quantity) ? ` × ${item.quantity}` : '';
  return h('li', null, isLab ? h('span', { class: 'tag order__lab' }, 'Lab') : null, isLab && item.variant_id == null ? ' Lab tests' : productLabel(item), quantity);
}

function orderItem(order) {
  const number = text(order.order_number);
  const completed = timeElement(order.completed_at);
  return h('li', { class: 'order', dataset: { orderId: order.id == null ? '' : String(order.id) } },
    h('p', { class: 'order__head' },
      h('strong', null, number ? `Order ${number}` : 'Order'),
      order.is_lab === true ? [' ', h('span', { class: 'tag order__lab-purchase' }, 'Lab purchase')] : null,
      completed ? [' · placed ', completed] : null),
    h('ul', { class: 'order__items', 'aria-label': 'Items ordered' }, objects(order.line_items).map(lineItem)));
}

function labOrderItem(lab) {
  const tests = objects(lab.tests).map((test) => text(test.name) || (test.id != null ? String(test.id) : null)).filter(Boolean);
  const updated = timeElement(lab.updated_at);
  const state = typeof lab.state === 'string' ? lab.state : '';
  return h('li', { class: 'lab-order', dataset: { labOrderId: lab.id == null ? '' : String(lab.id), state } },
    h('span', { class: `tag lab-state lab-state--${state.replace(/[^a-z_-]/gi, '') || 'unknown'}` }, labStateLabel(state)),
    ' ', tests.length ? tests.join(', ') : h('span', { class: 'muted' }, 'no tests listed'),
    updated ? [' · updated ', updated] : null);
}

/** The orders part of the panel: a note when Refresh could not read them, then orders and lab orders. */
function ordersSection() {
  return h('div', { class: 'chart-orders', id: 'plan-orders' },
    h('p', { class: 'note', id: 'orders-not-refreshed', hidden: true }),
    h('h3', null, 'Orders'),
    h('div', { id: 'orders-list' }, h('p', { class: 'muted' }, 'No orders yet.')),
    h('h3', null, 'Lab orders'),
    h('div', { id: 'lab-orders-list' }, h('p', { class: 'muted' }, 'No lab orders.')));
}

/** Keeps the orders and lab orders shown, by id, each replaced only by a newer copy (a higher change_seq). */
function orderTracker() {
  const shown = { order: new Map(), lab_order: new Map() };

  function draw() {
    const byNewest = (key) => (a, b) => timeOf(b[key]) - timeOf(a[key]);
    const orders = [...shown.order.values()].sort(byNewest('completed_at'));
    const labs = [...shown.lab_order.values()].sort(byNewest('updated_at'));
    document.getElementById('orders-list')?.replaceChildren(orders.length
      ? h('ol', { class: 'orders', 'aria-label': 'Orders, newest first' }, orders.map(orderItem)) : h('p', { class: 'muted' }, 'No orders yet.'));
    document.getElementById('lab-orders-list')?.replaceChildren(labs.length
      ? h('ul', { class: 'lab-orders', 'aria-label': 'Lab orders' }, labs.map(labOrderItem)) : h('p', { class: 'muted' }, 'No lab orders.'));
  }

  function put(kind, record) {
    if (!record || typeof record !== 'object' || record.id == null) return false;
    const seen = shown[kind].get(String(record.id));
    if (seen && seen.change_seq >= record.change_seq) return false;
    shown[kind].set(String(record.id), record);
    return true;
  }

  return {
    applyList(body) {
      for (const order of objects(body.orders)) put('order', order);
      for (const lab of objects(body.lab_orders)) put('lab_order', lab);
      const note = document.getElementById('orders-not-refreshed');
      if (note) {
        note.textContent = text(body.orders_not_refreshed) || '';
        note.hidden = !note.textContent;
      }
      draw();
    },
    applyEvent(kind, record) {
      if (put(kind, record)) draw();
    },
  };
}
