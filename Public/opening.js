// The pages the Recommend button's new tab shows first (GET /recommend/:id/opening, see
// OpeningPage.swift).
//
// "Opening Fullscript for …" moves on to the click (/recommend/:id) once it has painted, with
// location.replace, so Back never returns to it. The browser keeps it on screen until the click's
// answer arrives: the tab is never blank. If no answer comes within SLOW_AFTER_MS it says so, with
// Try again (the same click again) and Close.
//
// The question "Continue without a patient?" only needs Close.
//
// Close is window.close(), which a browser allows only for a tab with a single page in its history;
// where it refuses, the page tells the person how to close the tab themselves.

const SLOW_AFTER_MS = 3000;
const CLOSE_REFUSED_AFTER_MS = 300;
// The tab strip says it too, for a person back on the chart meanwhile.
const SLOW_TITLE = 'Still waiting for Fullscript…';

function enableClose() {
  const button = document.querySelector('[data-close-tab]');
  const refused = document.querySelector('[data-close-refused]');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    // The click still pending is abandoned with the tab.
    window.stop();
    window.close();
    // Still here: the browser kept the tab.
    setTimeout(() => { if (refused) refused.hidden = false; }, CLOSE_REFUSED_AFTER_MS);
  });
}

function startOpening(page) {
  const target = page.dataset.opening;
  // Only a path of ours, as the server wrote it: never another site.
  if (!target || !target.startsWith('/') || target.startsWith('//')) return;
  const slow = document.getElementById('opening-slow');
  const title = document.title;
  let slowTimer = 0;

  function showSlow(shown) {
    if (slow) slow.hidden = !shown;
    document.title = shown ? SLOW_TITLE : title;
  }

  function go() {
    showSlow(false);
    clearTimeout(slowTimer);
    slowTimer = setTimeout(() => showSlow(true), SLOW_AFTER_MS);
    location.replace(target);
  }

  const again = document.getElementById('try-again');
  if (again) {
    again.addEventListener('click', (event) => {
      event.preventDefault();
      go();
    });
  }

  // Move on after the first paint: requestAnimationFrame runs before it, the timeout after it. A tab
  // opened in the background gets no frames until it is shown, so a plain timeout starts it too.
  let started = false;
  const startOnce = () => {
    if (started) return;
    started = true;
    go();
  };
  requestAnimationFrame(() => setTimeout(startOnce, 0));
  setTimeout(startOnce, 100);
}

enableClose();
const page = document.querySelector('[data-opening]');
if (page) startOpening(page);
