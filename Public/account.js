// The "Fullscript account" settings page: which Fullscript account this EHR user is connected as,
// since when and with what permissions, and Connect / Reconnect (through the one connect page, back
// here afterwards) / Disconnect (a same-origin POST, back here afterwards).

import {
  ACCOUNT_PAGE, accountLabel, focusHeading, formatDateTime, h, setView, startSignedInPage, withReturnTo,
} from './app.js';

const CHECKS = {
  match: 'Looks like you: its last name is in your EHR name.',
  mismatch: 'Does not look like you: its last name is not in your EHR name. Reconnect and choose your own account on Fullscript\'s page.',
  unknown: 'Not checked: Fullscript has not told us the account\'s name yet.',
};

function detail(term, value) {
  return [h('dt', null, term), h('dd', null, value)];
}

function connectedCard(me) {
  const fullscript = me.fullscript;
  const scope = Array.isArray(fullscript.scope) ? fullscript.scope.filter((s) => typeof s === 'string') : [];
  return h('section', { class: 'card', id: 'fullscript-account', 'aria-labelledby': 'account-heading' },
    h('h1', { id: 'account-heading' }, 'Fullscript account'),
    h('p', null, 'Plans you start from a chart are made in Fullscript as this account.'),
    h('dl', { class: 'details' },
      detail('Connected as', h('span', { id: 'account-label' }, accountLabel(fullscript))),
      detail('Account type', typeof fullscript.resource_owner_type === 'string' ? fullscript.resource_owner_type : 'Unknown'),
      detail('Connected since', typeof fullscript.connected_at === 'string'
        ? h('time', { datetime: fullscript.connected_at }, formatDateTime(fullscript.connected_at)) : 'Unknown'),
      detail('Your EHR name', (me.user && (me.user.name || me.user.id)) || 'Unknown'),
      detail('Same person?', h('span', { id: 'account-check', dataset: { check: String(fullscript.account_check || 'unknown') } },
        CHECKS[fullscript.account_check] || CHECKS.unknown)),
      detail('Permissions', scope.length ? h('ul', { class: 'account-scopes' }, scope.map((s) => h('li', null, h('code', null, s)))) : 'None')),
    h('div', { class: 'actions account-actions' },
      h('a', { class: 'btn', id: 'reconnect-link', href: withReturnTo('/oauth/fullscript/connect', ACCOUNT_PAGE) }, 'Reconnect'),
      h('form', { method: 'post', action: withReturnTo('/oauth/fullscript/disconnect', ACCOUNT_PAGE), id: 'disconnect-form' },
        h('button', { type: 'submit', class: 'btn', id: 'disconnect-button' }, 'Disconnect Fullscript'))),
    h('p', { class: 'note' }, 'Disconnecting revokes this EHR\'s access at Fullscript. The next Recommend click asks you to connect again.'));
}

function notConnectedCard() {
  return h('section', { class: 'card', id: 'fullscript-account', 'aria-labelledby': 'account-heading' },
    h('h1', { id: 'account-heading' }, 'Fullscript account'),
    h('p', { id: 'account-label' }, 'Not connected.'),
    h('p', null, 'Connect your own Fullscript account so that the Recommend button opens Fullscript as you. '
      + 'On Fullscript\'s page, choose your own account.'),
    h('a', { class: 'btn-primary', id: 'connect-link', href: withReturnTo('/oauth/fullscript/connect', ACCOUNT_PAGE) },
      'Connect Fullscript'));
}

async function main() {
  const me = await startSignedInPage();
  if (!me) return;
  const card = me.fullscript && me.fullscript.connected ? connectedCard(me) : notConnectedCard();
  setView(card);
  focusHeading(card.querySelector('h1'));
}

main();
