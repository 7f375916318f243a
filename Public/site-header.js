// The demo EHR's header, the same on every page: the brand, the navigation (the current page
// marked), the session area app.js fills in, and on a phone a Menu button that folds the navigation
// and the session area behind it so the header stays one line. Pages hold an empty
// <header class="app-header"> and load this module before their own.

import { h, icon } from './app.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAGES = [
  { href: '/', text: 'Patients', paths: ['/', '/index.html'] },
  { href: '/embed.html', text: 'Embed the button', paths: ['/embed.html'] },
  { href: '/account.html', text: 'Fullscript account', paths: ['/account.html'] },
];

/** The brand's mark: a filled square, so not one of app.js's stroke icons. */
function brandMark() {
  const mark = document.createElementNS(SVG_NS, 'svg');
  for (const [name, value] of Object.entries({ class: 'brand__mark', viewBox: '0 0 32 32', 'aria-hidden': 'true', focusable: 'false' })) {
    mark.setAttribute(name, value);
  }
  const square = document.createElementNS(SVG_NS, 'rect');
  for (const [name, value] of Object.entries({ width: '32', height: '32', rx: '8', fill: '#0a7f55' })) square.setAttribute(name, value);
  const cross = document.createElementNS(SVG_NS, 'path');
  for (const [name, value] of Object.entries({ d: 'M16 8v16M8 16h16', stroke: '#fff', 'stroke-width': '4', 'stroke-linecap': 'round' })) {
    cross.setAttribute(name, value);
  }
  mark.append(square, cross);
  return mark;
}

function brand() {
  return h('a', { class: 'brand', href: '/' }, brandMark(),
    h('span', null, 'Demo EHR ', h('span', { class: 'brand__sub' }, 'with fullscript-redirect')));
}

function navigation() {
  const items = PAGES.map((page) => {
    const link = h('a', { href: page.href }, page.text);
    if (page.paths.includes(location.pathname)) link.setAttribute('aria-current', 'page');
    return h('li', null, link);
  });
  return h('nav', { class: 'main-nav', 'aria-label': 'Main' }, h('ul', null, ...items));
}

function menu(header, toggle) {
  const setOpen = (open) => {
    header.classList.toggle('is-open', open);
    toggle.setAttribute('aria-expanded', String(open));
  };
  header.classList.add('has-menu');
  toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && header.classList.contains('is-open')) {
      setOpen(false);
      toggle.focus();
    }
  });
}

const header = document.querySelector('header.app-header');
if (header) {
  const toggle = h('button', {
    type: 'button', class: 'menu-toggle', id: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'header-menu',
  }, icon('menu-toggle__icon', ['M4 7h16M4 12h16M4 17h16']), h('span', null, 'Menu'));
  const session = h('div', { class: 'session', id: 'session', 'aria-label': 'Your session', role: 'group' });
  header.replaceChildren(h('div', { class: 'app-header__inner' },
    brand(), toggle, h('div', { class: 'header-menu', id: 'header-menu' }, navigation(), session)));
  menu(header, toggle);
}
