// The EHR home: who is signed in, their Fullscript connection, and the patient list (paged by next_after).
// A click links its patient to Fullscript in another tab; back here, the list's "Linked" column is
// read again for the patients shown.

import {
  ApiError, errorNotice, fetchJSON, formatDate, fullName, h, setView, showSignedOut, startSignedInPage,
} from './app.js';

const PAGE_SIZE = 50;

function linkTag(patient) {
  const linked = typeof patient.fullscript_patient_id === 'string' && patient.fullscript_patient_id !== '';
  return linked ? h('span', { class: 'tag tag--linked' }, 'Linked') : h('span', { class: 'tag tag--unlinked' }, 'Not linked yet');
}

function patientRow(patient) {
  const id = String(patient.id);
  return h('tr', { dataset: { patientId: id } },
    h('td', { 'data-label': 'Name' },
      h('a', { class: 'patient-link', href: `chart.html?patient=${encodeURIComponent(id)}`, dataset: { patientId: id } },
        fullName(patient)),
      h('span', { class: 'patient-id' }, id)),
    h('td', { 'data-label': 'Date of birth' },
      patient.date_of_birth ? h('time', { datetime: patient.date_of_birth }, formatDate(patient.date_of_birth))
        : h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Email' }, patient.email || h('span', { class: 'muted' }, 'No email')),
    h('td', { 'data-label': 'Fullscript', class: 'link-state' }, linkTag(patient)),
  );
}

/** Reads the shown patients again, page by page as first loaded, and redraws their "Linked" cells. */
function refreshLinksWhenShownAgain(tbody) {
  let busy = false;
  const refresh = async () => {
    // A link is never undone: once every row says Linked there is nothing to read.
    if (document.visibilityState !== 'visible' || busy || !tbody.querySelector('.tag--unlinked')) return;
    busy = true;
    try {
      const rows = new Map([...tbody.rows].filter((row) => row.dataset.patientId).map((row) => [row.dataset.patientId, row]));
      let after = null;
      let seen = 0;
      do {
        const page = await loadPage(after);
        for (const patient of page.patients) {
          const cell = rows.get(String(patient.id))?.querySelector('td.link-state');
          const tag = linkTag(patient);
          if (cell && cell.textContent !== tag.textContent) cell.replaceChildren(tag);
        }
        seen += page.patients.length;
        after = page.nextAfter;
      } while (after && seen < rows.size);
    } catch {
      // The list keeps what it showed; the next visit tries again.
    } finally {
      busy = false;
    }
  };
  document.addEventListener('visibilitychange', refresh);
  window.addEventListener('focus', refresh);
}

async function loadPage(after) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (after) query.set('after', after);
  const page = await fetchJSON(`/ehr/api/patients?${query}`);
  return {
    patients: Array.isArray(page.patients) ? page.patients.filter((p) => p && p.id != null) : [],
    nextAfter: typeof page.next_after === 'string' && page.next_after ? page.next_after : null,
  };
}

function demoNotice(me) {
  if (!me.demo) return null;
  const connected = me.fullscript && me.fullscript.connected;
  return h('div', { class: 'notice notice--info', id: 'demo-notice' },
    h('div', { class: 'notice__body' },
      h('p', null, h('strong', null, 'Demo: '),
        'open a patient\'s chart and press ', h('strong', null, 'Recommend with Fullscript'),
        '. Fullscript\'s sandbox opens in a new tab',
        connected ? '.' : ', after a one-time step to connect your Fullscript account.')));
}

async function main() {
  const me = await startSignedInPage();
  if (!me) return;

  const tbody = h('tbody', { id: 'patient-list' });
  const count = h('p', { id: 'patient-count', role: 'status' }, 'Loading patients…');
  const loadMore = h('button', { type: 'button', class: 'btn', id: 'load-more', hidden: true }, 'Load more patients');
  const errors = h('div', { id: 'patient-errors' });
  let nextAfter = null;
  let shown = 0;

  setView(
    h('div', { class: 'page-head' },
      h('h1', { id: 'patients-heading' }, 'Patients'),
      h('p', null, 'Choose a patient to open their chart.')),
    demoNotice(me),
    errors,
    h('section', { class: 'card card--flush', 'aria-labelledby': 'patients-heading' },
      h('div', { class: 'table-wrap' },
        h('table', { class: 'patients' },
          h('caption', { class: 'visually-hidden' }, 'Patients, with date of birth, email, and whether Fullscript knows them'),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Name'),
            h('th', { scope: 'col' }, 'Date of birth'),
            h('th', { scope: 'col' }, 'Email'),
            h('th', { scope: 'col' }, 'Fullscript'))),
          tbody)),
      h('div', { class: 'table-footer' }, count, loadMore)),
  );

  let busy = false;

  async function fetchMore() {
    if (busy) return;
    busy = true;
    // aria-disabled rather than disabled: disabling the focused button would drop keyboard focus.
    const hadFocus = document.activeElement === loadMore;
    loadMore.setAttribute('aria-disabled', 'true');
    loadMore.setAttribute('aria-busy', 'true');
    errors.replaceChildren();
    try {
      const page = await loadPage(nextAfter);
      const firstNew = shown;
      for (const patient of page.patients) tbody.append(patientRow(patient));
      shown += page.patients.length;
      nextAfter = page.nextAfter;
      if (shown === 0) {
        tbody.replaceChildren(h('tr', null, h('td', { class: 'empty', colspan: '4' },
          'No patients yet. The EHR adds them through the service API (PUT /api/v1/patients/{id}).')));
      }
      count.textContent = shown === 1 ? 'Showing 1 patient' : `Showing ${shown} patients`;
      if (nextAfter) count.textContent += ' — more available';
      loadMore.hidden = !nextAfter;
      // Keyboard users who pressed "Load more" continue at the first new patient.
      if (hadFocus && firstNew > 0 && page.patients.length) tbody.rows[firstNew]?.querySelector('a')?.focus();
      else if (hadFocus && loadMore.hidden) tbody.rows[tbody.rows.length - 1]?.querySelector('a')?.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        showSignedOut(error.body || {});
        return;
      }
      count.textContent = shown ? `Showing ${shown} patients` : '';
      errors.replaceChildren(errorNotice(error, 'Could not load patients.'));
      loadMore.hidden = false;
      loadMore.textContent = shown ? 'Try loading more again' : 'Try again';
    } finally {
      busy = false;
      loadMore.removeAttribute('aria-disabled');
      loadMore.removeAttribute('aria-busy');
    }
  }

  loadMore.addEventListener('click', () => {
    loadMore.textContent = 'Load more patients';
    fetchMore();
  });
  await fetchMore();
  refreshLinksWhenShownAgain(tbody);
}

main();
