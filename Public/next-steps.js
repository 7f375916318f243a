// The next steps of a page that stopped a click (HTMLPage.stopped, and the page after Deny on
// Fullscript's consent): "Close this tab" and "Try again".
// The page lives in the tab the button opened; the chart is still open in the tab before it.
// A browser lets a page close its tab only while the tab has no history of its own, so "Try again"
// replaces this page instead of adding an entry, and "Close this tab" says what to do where the
// browser keeps the tab open anyway. Without this script the page still says it in text.

const close = document.getElementById('close-tab');
const note = document.getElementById('close-note');
const retry = document.getElementById('try-again');

if (close) {
  close.hidden = false;
  close.addEventListener('click', () => {
    window.close();
    // window.close() returns at once; a tab the browser refused to close is still here a moment later.
    setTimeout(() => {
      if (!window.closed && note) {
        note.textContent = 'This browser keeps the tab open: close it yourself (Ctrl+W or ⌘W). The chart is in the tab you came from.';
      }
    }, 300);
  });
}

if (retry) {
  retry.addEventListener('click', (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.location.replace(retry.href);
  });
}
