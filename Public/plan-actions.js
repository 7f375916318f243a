// What a plan on the chart's panel (plans.js) lets a practitioner or staff member do in Fullscript:
// "Open in Fullscript" on a draft or active plan, a link opening /patients/:id/plans/:planId/open in a
// new tab (the server fetches a fresh edit link per click), and "Cancel plan" on an active plan, which
// asks first, in place, then POSTs …/treatment-plans/:planId/cancel and shows Fullscript's answer at
// once. A viewer gets neither: the server refuses both to them.

import { errorNotice, fetchJSON, h } from './app.js';

const PLAN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

let context = null; // { patientId, canAct, onCancelled(plan) }

/** Called once by startPlans: whose chart this is, whether the user may act, where a cancelled plan goes. */
export function configurePlanActions({ patientId, canAct, onCancelled }) {
  context = { patientId: String(patientId), canAct: canAct !== false, onCancelled };
}

/** The plan's actions, or nothing when there are none for this user and this plan's state. */
export function planActions(plan) {
  const id = plan.id == null ? '' : String(plan.id);
  if (!context || !context.canAct || !PLAN_ID.test(id) || !['draft', 'active'].includes(plan.state)) return null;
  const patient = encodeURIComponent(context.patientId);
  const open = h('a', {
    class: 'btn btn--small plan__open', href: `/patients/${patient}/plans/${encodeURIComponent(id)}/open`,
    target: '_blank', rel: 'noopener', dataset: { action: 'open' },
  }, 'Open in Fullscript', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
  const actions = h('div', { class: 'plan__actions' }, open);
  if (plan.state === 'active') actions.append(cancelControl(id, actions));
  return actions;
}

/** "Cancel plan", which turns into the question and its two answers; the answer's errors stay beside it. */
function cancelControl(id, actions) {
  const area = h('div', { class: 'plan__cancel' });
  const ask = () => {
    const yes = h('button', { type: 'button', class: 'btn btn--small btn--danger', dataset: { action: 'confirm-cancel' } }, 'Yes, cancel plan');
    const no = h('button', { type: 'button', class: 'btn btn--small', dataset: { action: 'keep' } }, 'Keep plan');
    const question = h('p', { class: 'plan__cancel-question', role: 'alert' },
      'Cancel this plan in Fullscript? The patient can no longer order from it, and it cannot be undone.');
    no.addEventListener('click', () => showButton());
    yes.addEventListener('click', () => cancelNow(yes, no));
    area.replaceChildren(question, h('div', { class: 'plan__cancel-answers' }, yes, no));
    no.focus();
  };
  const showButton = (problem) => {
    const button = h('button', { type: 'button', class: 'btn btn--small', dataset: { action: 'cancel' }, onclick: ask }, 'Cancel plan');
    area.replaceChildren(...[button, problem].filter(Boolean));
  };
  const cancelNow = async (yes, no) => {
    yes.setAttribute('aria-disabled', 'true');
    no.disabled = true;
    yes.textContent = 'Cancelling…';
    actions.closest('.plan')?.setAttribute('aria-busy', 'true');
    try {
      const base = `/ehr/api/patients/${encodeURIComponent(context.patientId)}/treatment-plans`;
      const cancelled = await fetchJSON(`${base}/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      context.onCancelled?.(cancelled);
    } catch (error) {
      showButton(errorNotice(error, 'The plan was not cancelled.'));
    } finally {
      actions.closest('.plan')?.removeAttribute('aria-busy');
    }
  };
  showButton();
  return area;
}
