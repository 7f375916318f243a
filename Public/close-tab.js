// "Close this tab" on pages the Recommend button's tab ends on (CSP allows no inline script).
// A browser closes only tabs a script opened; when it refuses, the hint beside the button stays.
const button = document.getElementById('close-tab');
const hint = document.getElementById('close-hint');
if (button) {
  button.hidden = false;
  if (hint) hint.textContent = 'Or go back to the EHR in its own tab.';
  button.addEventListener('click', () => {
    window.close();
    if (hint) hint.textContent = 'Your browser kept this tab open: close it yourself (Ctrl+W or ⌘W) to go back to the EHR.';
  });
}
