// The demo EHR's header, the same on every page: the brand, the navigation (the current page
// marked), the session area app.js fills in, and on a phone a Menu button that folds the navigation
// and the session area behind it so the header stays one line. Pages hold an empty
// <header class="app-header"> and load this module before their own.

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAGES = [
  { href: '/', text: 'Patients', paths: ['/', '/index.html'] },
  { href: '/embed.html', text: 'Embed the button', paths: ['/embed.html'] },
  { href: '/account.html', text: 'Fullscript account', paths: ['/account.html'] },
];

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function svg(className, viewBox, shapes) {
  const icon = document.createElementNS(SVG_NS, 'svg');
  for (const [name, value] of Object.entries({ class: className, viewBox, 'aria-hidden': 'true', focusable: 'false' })) {
    icon.setAttribute(name, value);
  }
  for (const [tag, attributes] of shapes) {
    const shape = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) shape.setAttribute(name, value);
    icon.append(shape);
  }
  return icon;
}

function brand() {
  const mark = svg('brand__mark', '0 0 32 32', [
    ['rect', { width: '32', height: '32', rx: '8', fill: '#0a7f55' }],
    ['path', { d: 'M16 8v16M8 16h16', stroke: '#fff', 'stroke-width': '4', 'stroke-linecap': 'round' }],
  ]);
  return element('a', { class: 'brand', href: '/' }, mark,
    element('span', {}, 'Demo EHR ', element('span', { class: 'brand__sub' }, 'with fullscript-redirect')));
}

function navigation() {
  const items = PAGES.map((page) => {
    const link = element('a', { href: page.href }, page.text);
    if (page.paths.includes(location.pathname)) link.setAttribute('aria-current', 'page');
    return element('li', {}, link);
  });
  return element('nav', { class: 'main-nav', 'aria-label': 'Main' }, element('ul', {}, ...items));
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
  const toggle = element('button', {
    type: 'button', class: 'menu-toggle', id: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'header-menu',
  }, svg('menu-toggle__icon', '0 0 24 24', [
    ['path', { d: 'M4 7h16M4 12h16M4 17h16', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round' }],
  ]), element('span', {}, 'Menu'));
  const session = element('div', { class: 'session', id: 'session', 'aria-label': 'Your session', role: 'group' });
  header.replaceChildren(element('div', { class: 'app-header__inner' },
    brand(), toggle, element('div', { class: 'header-menu', id: 'header-menu' }, navigation(), session)));
  menu(header, toggle);
}
