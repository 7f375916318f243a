// embed.html: show the snippet with this server's real address, and copy buttons.

const scriptSnippet = document.getElementById('snippet-script');
if (scriptSnippet) {
  const src = new URL('fullscript-button.js', document.baseURI).href;
  scriptSnippet.textContent = `<script type="module" src="${src}"></script>`;
}

const status = document.getElementById('copy-status');

for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) continue;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      status.textContent = 'Copied to the clipboard.';
    } catch {
      // Clipboard refused (insecure origin or permissions): select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
    }
  });
}
