// The patient chart: demographics, the Recommend with Fullscript button (built by
// fullscript-button.js, the same code as the drop-in element), and the treatment plans panel, which
// plans.js loads and keeps live. What the click will meet, when it is already known, is said next
// to the button: who a staff user acts for, a patient email the sandbox refuses, no email at all.
// The "Fullscript patient" field follows the plan stream's `patient` events, and the notes are read
// again when the tab is shown again (the click's own tab may have changed them).

import {
  ageFrom, ApiError, errorPanel, fetchJSON, formatDate, formatGender, fullName, h, ICONS, initials,
  setView, showSignedOut, startSignedInPage,
} from './app.js';
import { createRecommendLink, installButtonStyles } from './fullscript-button.js';
import { plansSection, renderPlans, startPlans } from './plans.js';

const patientId = new URLSearchParams(location.search).get('patient');

function backToPatients() {
  return h('p', null, h('a', { href: '/', id: 'back-to-patients' }, '← Back to patients'));
}

function breadcrumb(name) {
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
    h('ol', null,
      h('li', null, h('a', { href: '/' }, 'Patients')),
      h('li', null, h('span', { 'aria-current': 'page' }, name))));
}

function detail(term, value, emptyText = 'Not recorded', id = null) {
  return [h('dt', null, term), h('dd', { id }, value == null || value === '' ? h('span', { class: 'none' }, emptyText) : value)];
}

const NOT_LINKED = 'Not linked yet: linked on the first recommendation';

function fullscriptPatientId(patient) {
  const id = patient && patient.fullscript_patient_id;
  return typeof id === 'string' && id ? id : null;
}

/** The "Fullscript patient" field, redrawn when the stream says the patient was linked. */
function showFullscriptPatient(patient) {
  const field = document.getElementById('fullscript-patient');
  const id = fullscriptPatientId(patient);
  if (!field || field.dataset.linked === String(Boolean(id)) && (!id || field.textContent === id)) return;
  field.dataset.linked = String(Boolean(id));
  field.replaceChildren(id ? h('code', null, id) : h('span', { class: 'none' }, NOT_LINKED));
}

function demographics(patient) {
  const age = ageFrom(patient.date_of_birth);
  const dob = patient.date_of_birth
    ? [h('time', { datetime: patient.date_of_birth }, formatDate(patient.date_of_birth)), age == null ? '' : ` (${age} years)`]
    : null;
  return h('section', { class: 'card', 'aria-labelledby': 'details-heading', id: 'patient-details' },
    h('h2', { id: 'details-heading' }, 'Demographics'),
    h('dl', { class: 'details' },
      detail('Date of birth', dob),
      detail('Gender', formatGender(patient.gender)),
      detail('Email', patient.email ? String(patient.email) : null, 'No email on file'),
      detail('Mobile', patient.mobile_number ? String(patient.mobile_number) : null),
      detail('EHR patient id', h('code', null, String(patient.id))),
      detail('Fullscript patient', null, NOT_LINKED, 'fullscript-patient')));
}

/** The server's rule (RecommendRoutes.isAllowed): the domain after the last @, or a subdomain of it. */
function emailAllowed(email, domains) {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return domains.some((allowed) => domain === allowed || domain.endsWith(`.${allowed}`));
}

/**
 * The practitioner a staff user's click drafts for, and the way to change it (the picker, in a new
 * tab). A patient Fullscript cannot be told about (no email, no names, never linked) gets the new-plan
 * link, where the practitioner is chosen.
 */
function actingFor(patient, me) {
  if (!me.fullscript || me.fullscript.resource_owner_type !== 'Staff' || !namedToFullscript(patient)) return null;
  const choice = me.acting_for && typeof me.acting_for === 'object' && typeof me.acting_for.practitioner_id === 'string'
    ? me.acting_for : null;
  if (!choice) return h('p', { class: 'acting-for', id: 'acting-for' }, 'You will be asked which practitioner the plan is for.');
  const name = typeof choice.name === 'string' && choice.name ? choice.name : choice.practitioner_id;
  return h('p', { class: 'acting-for', id: 'acting-for', dataset: { practitionerId: choice.practitioner_id } },
    'Acting for ', h('strong', null, name), ' · ',
    h('a', {
      id: 'change-practitioner', href: `/recommend/${encodeURIComponent(patient.id)}?choose_practitioner=1`,
      target: '_blank', rel: 'noopener',
    }, 'Change', h('span', { class: 'visually-hidden' }, ' the practitioner (opens in a new tab)')));
}

/** The server's rule (PatientMatcher.naming): linked, an email, or both names. */
function namedToFullscript(patient) {
  return Boolean(patient.fullscript_patient_id || patient.email || (patient.first_name && patient.last_name));
}

/** What the click will meet, already known on the chart. */
function fullscriptNotes(patient, me) {
  const connected = Boolean(me.fullscript && me.fullscript.connected);
  const domains = Array.isArray(me.patient_email_domains) ? me.patient_email_domains.filter((d) => typeof d === 'string' && d) : null;
  const email = typeof patient.email === 'string' ? patient.email : '';
  return [
    actingFor(patient, me),
    connected ? null
      : h('p', { class: 'hint hint--info', id: 'connect-hint' },
          'Your Fullscript account is not connected yet: the new tab asks you to connect it first, then continues to Fullscript.'),
    email || patient.fullscript_patient_id ? null
      : h('p', { class: 'hint hint--warn', id: 'no-email-hint' }, namedToFullscript(patient)
        ? 'No email on file: Fullscript matches the patient by this chart\'s id, or asks you to choose or create them there (a dependent needs no email).'
        : 'No email or name on file: Fullscript will ask you to choose or create the patient there, and plans made there will not come back to this chart.'),
    email && domains && !emailAllowed(email, domains)
      ? h('p', { class: 'hint hint--warn', id: 'email-domain-hint' },
          `This Fullscript account is not a production one, so only patients with an email at ${domains.join(', ')} can be sent there `
          + '(Fullscript would email them). This patient\'s email is elsewhere: the button will be refused. Change the email in the EHR first.')
      : null,
  ];
}

/** A viewer (launch token `roles`, /ehr/api/me's `can_recommend`) reads the chart but gets no button. */
function mayRecommend(me) {
  return !(me && me.user && me.user.can_recommend === false);
}

function viewerNote() {
  return h('p', { class: 'hint hint--info', id: 'viewer-note', role: 'note' },
    'You are signed in as a viewer: you can read this chart and its treatment plans, but only a practitioner or staff '
    + 'member can recommend in Fullscript or refresh plans from it.');
}

function fullscriptCard(patient, me) {
  if (!mayRecommend(me)) {
    return h('section', { class: 'card fullscript-card', 'aria-labelledby': 'fullscript-heading', id: 'fullscript-panel' },
      h('h2', { id: 'fullscript-heading' }, 'Fullscript'),
      viewerNote());
  }
  const recommend = createRecommendLink({ patientId: patient.id, id: 'recommend-button', describedBy: 'recommend-note' });
  // Fullscript sells labs in the US only (/ehr/api/me's labs_offered); elsewhere the server refuses them too.
  const labsOffered = me.labs_offered === true;
  const labs = labsOffered ? createRecommendLink({
    patientId: patient.id, entrypoint: 'labs', variant: 'secondary', id: 'order-labs-link', describedBy: 'recommend-note',
  }) : null;
  return h('section', { class: 'card fullscript-card', 'aria-labelledby': 'fullscript-heading', id: 'fullscript-panel' },
    h('h2', { id: 'fullscript-heading' }, 'Fullscript'),
    h('p', null, labsOffered ? 'Recommend supplements to this patient, or order labs, in Fullscript.' : 'Recommend supplements to this patient in Fullscript.'),
    recommend && (labs || !labsOffered)
      ? h('div', { class: 'actions' }, recommend, labs)
      : h('p', { class: 'hint hint--warn', role: 'note' }, 'This patient id cannot be sent to Fullscript.'),
    h('p', { class: 'note', id: 'recommend-note' }, 'Opens Fullscript in a new tab. This chart stays open here.'),
    h('div', { id: 'fullscript-notes' }, fullscriptNotes(patient, me)));
}

/**
 * Back from the click's tab, the chart shows what the click may have changed: the staff user's
 * practitioner and the connection (from the session app.js reads again then), and the link to
 * Fullscript (the stream says it too, unless it was down; read again only while not linked).
 * Returns what the stream calls with the patient it sends.
 */
function refreshWhenShownAgain(patient) {
  let current = patient;
  document.addEventListener('sessionrefresh', async (event) => {
    const me = event.detail;
    if (!fullscriptPatientId(current)) {
      try {
        current = await fetchJSON(`/ehr/api/patients/${encodeURIComponent(patient.id)}`);
        showFullscriptPatient(current);
      } catch {
        // What is shown stays; the next visit tries again.
      }
    }
    document.getElementById('fullscript-notes')?.replaceChildren(...fullscriptNotes(current, me).filter(Boolean));
  });
  return (sent) => {
    current = sent;
    showFullscriptPatient(sent);
  };
}

function showChart(patient, me) {
  const name = fullName(patient);
  document.title = `${name} · Chart · Demo EHR`;
  setView(
    breadcrumb(name),
    h('div', { class: 'chart-head' },
      h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(patient)),
      h('div', { class: 'chart-head__text' },
        h('h1', { id: 'patient-name', dataset: { patientId: String(patient.id) } }, name),
        h('p', null, 'Patient chart'))),
    h('div', { class: 'chart-grid' }, demographics(patient), fullscriptCard(patient, me)),
    plansSection(),
  );
  showFullscriptPatient(patient);
  startPlans(patient.id, { onPatient: refreshWhenShownAgain(patient), canAct: mayRecommend(me) });
  if (!mayRecommend(me)) {
    // The refresh asks Fullscript through the user's own account: refused to a viewer.
    const refresh = document.getElementById('refresh-plans');
    if (refresh) refresh.hidden = true;
    document.getElementById('refresh-plans-note')?.replaceChildren('Plans appear here by themselves.');
  }
}

function showPatientError(error) {
  let title = 'The chart could not load';
  let message = error.message;
  let iconPaths = ICONS.alert;
  if (error instanceof ApiError && error.status === 404) {
    title = 'Patient not found';
    message = 'This EHR has no patient with that id. It may never have been added, or the link may be wrong.';
    iconPaths = ICONS.search;
  } else if (error instanceof ApiError && error.status === 403) {
    title = 'This sign-in is for another patient';
    message = 'The EHR opened this session for one patient\'s chart only. Open this patient from the EHR to see their chart.';
  } else if (error instanceof ApiError && error.status === 410) {
    title = 'This patient was deleted';
    message = 'The EHR deleted this patient, so their chart is closed and nothing can be recommended for them.';
    iconPaths = ICONS.trash;
  }
  document.title = `${title} · Demo EHR`;
  setView(errorPanel({ title, message, error, iconPaths, actions: [backToPatients()] }).panel);
}

async function main() {
  installButtonStyles(document);
  const validId = patientId !== null && patientId !== '' && patientId !== '.' && patientId !== '..';
  const patientRequest = validId ? fetchJSON(`/ehr/api/patients/${encodeURIComponent(patientId)}`) : null;
  patientRequest?.catch(() => {}); // settled below; this avoids an "unhandled rejection" while the session loads

  const me = await startSignedInPage();
  if (!me) return;

  if (!validId) {
    document.title = 'No patient chosen · Demo EHR';
    setView(errorPanel({
      title: 'No patient chosen',
      message: 'Open a chart from the patient list.',
      iconPaths: ICONS.search,
      actions: [backToPatients()],
    }).panel);
    return;
  }

  try {
    showChart(await patientRequest, me);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showSignedOut(error.body || {});
    else showPatientError(error);
  }
}

main();

export { renderPlans };
