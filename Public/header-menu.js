// The header's menu on a phone: the navigation and the session area fold behind a "Menu" button so the
// header stays one line. Without this script (or on a wide screen) they show as they are.

const header = document.querySelector('.app-header');
const toggle = document.getElementById('menu-toggle');
const menu = document.getElementById('header-menu');

function setOpen(open) {
  header.classList.toggle('is-open', open);
  toggle.setAttribute('aria-expanded', String(open));
}

if (header && toggle && menu) {
  header.classList.add('has-menu');
  toggle.hidden = false;
  toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && header.classList.contains('is-open')) {
      setOpen(false);
      toggle.focus();
    }
  });
}
