// The patient chart: demographics, the Recommend with Fullscript button (built by
// fullscript-button.js, the same code as the drop-in element), and the treatment plans panel, which
// plans.js loads and keeps live.

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

function detail(term, value, emptyText = 'Not recorded') {
  return [h('dt', null, term), h('dd', null, value == null || value === '' ? h('span', { class: 'none' }, emptyText) : value)];
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
      detail('Fullscript patient', patient.fullscript_patient_id ? h('code', null, String(patient.fullscript_patient_id)) : null,
        'Not linked yet: linked on the first recommendation')));
}

function fullscriptCard(patient, me) {
  const connected = Boolean(me.fullscript && me.fullscript.connected);
  const recommend = createRecommendLink({ patientId: patient.id, id: 'recommend-button', describedBy: 'recommend-note' });
  const labs = createRecommendLink({
    patientId: patient.id, entrypoint: 'labs', variant: 'secondary', id: 'order-labs-link', describedBy: 'recommend-note',
  });
  return h('section', { class: 'card fullscript-card', 'aria-labelledby': 'fullscript-heading', id: 'fullscript-panel' },
    h('h2', { id: 'fullscript-heading' }, 'Fullscript'),
    h('p', null, 'Recommend supplements to this patient, or order labs, in Fullscript.'),
    recommend && labs
      ? h('div', { class: 'actions' }, recommend, labs)
      : h('p', { class: 'hint hint--warn', role: 'note' }, 'This patient id cannot be sent to Fullscript.'),
    h('p', { class: 'note', id: 'recommend-note' }, 'Opens Fullscript in a new tab. This chart stays open here.'),
    connected ? null
      : h('p', { class: 'hint hint--info', id: 'connect-hint' },
          'Your Fullscript account is not connected yet: the new tab asks you to connect it first, then continues to Fullscript.'),
    patient.email ? null
      : h('p', { class: 'hint hint--warn', id: 'no-email-hint' },
          'No email on file, so Fullscript will ask you to choose or create the patient there.'));
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
  startPlans(patient.id);
}

function showPatientError(error) {
  let title = 'The chart could not load';
  let message = error.message;
  let iconPaths = ICONS.alert;
  if (error instanceof ApiError && error.status === 404) {
    title = 'Patient not found';
    message = 'This EHR has no patient with that id. It may never have been added, or the link may be wrong.';
    iconPaths = ICONS.search;
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
