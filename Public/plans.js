// The chart's "Treatment plans" panel. renderPlans(plans) draws the list inside
// <section id="treatment-plans" aria-live="polite">; today the chart calls it with [] only. The
// treatment-plans issue feeds it from GET /ehr/api/patients/:id/treatment-plans and a server-sent
// event stream, calling it again with the whole list on every change.
//
// A plan: {id, state, practitioner_name, created_at, updated_at, recommendations: [{name, dosage}]}.

import { formatDateTime, h } from './app.js';

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
    const amount = [part('amount'), part('format')].filter((p) => p != null && p !== '').join(' ');
    return [amount, part('frequency'), part('time_of_day'), part('duration'), part('additional_info')]
      .filter((p) => p != null && p !== '')
      .join(', ');
  }
  return '';
}

function timeElement(value) {
  return typeof value === 'string' && value ? h('time', { datetime: value }, formatDateTime(value)) : null;
}

function planItem(plan) {
  const recommendations = Array.isArray(plan.recommendations) ? plan.recommendations.filter(Boolean) : [];
  const state = typeof plan.state === 'string' ? plan.state : '';
  const created = timeElement(plan.created_at);
  const updated = plan.updated_at && plan.updated_at !== plan.created_at ? timeElement(plan.updated_at) : null;
  return h('li', { class: 'plan', dataset: { planId: plan.id == null ? '' : String(plan.id), state } },
    h('div', { class: 'plan__head' },
      h('h3', null, 'Treatment plan'),
      h('span', { class: `tag state state--${state.replace(/[^a-z_-]/gi, '') || 'unknown'}` }, stateLabel(state))),
    h('p', { class: 'plan__meta' },
      plan.practitioner_name ? ['By ', String(plan.practitioner_name)] : 'Practitioner unknown',
      created ? [' · created ', created] : null,
      updated ? [' · updated ', updated] : null),
    recommendations.length
      ? h('ul', { class: 'plan__recs', 'aria-label': 'Recommendations' }, recommendations.map((item) => {
          const dosage = dosageText(item.dosage);
          return h('li', null,
            h('span', { class: 'plan__product' }, item.name ? String(item.name) : 'Unnamed product'),
            dosage ? h('span', { class: 'plan__dosage' }, ` — ${dosage}`) : null);
        }))
      : h('p', { class: 'muted' }, 'No products in this plan yet.'));
}

/**
 * Renders `plans` (an array, newest first; re-sorted by created_at to be sure) into the panel's list
 * container. An empty or missing array shows "No treatment plans yet."
 */
export function renderPlans(plans, container = document.getElementById('treatment-plans-list')) {
  if (!container) return;
  const list = Array.isArray(plans) ? plans.filter((plan) => plan && typeof plan === 'object') : [];
  if (list.length === 0) {
    container.replaceChildren(h('p', { class: 'empty', id: 'treatment-plans-empty' }, 'No treatment plans yet.'));
    return;
  }
  const newestFirst = list
    .map((plan, index) => ({ plan, index }))
    .sort((a, b) => timeOf(b.plan.created_at) - timeOf(a.plan.created_at) || a.index - b.index)
    .map(({ plan }) => plan);
  container.replaceChildren(h('ol', { class: 'plans', 'aria-label': 'Treatment plans, newest first' }, newestFirst.map(planItem)));
}

/** The panel itself, with the list container renderPlans fills. */
export function plansSection() {
  return h('section', { id: 'treatment-plans', class: 'card chart-plans', 'aria-live': 'polite', 'aria-labelledby': 'treatment-plans-heading' },
    h('h2', { id: 'treatment-plans-heading' }, 'Treatment plans'),
    h('div', { id: 'treatment-plans-list' }));
}
