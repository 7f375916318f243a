// The "Recommend with Fullscript" button: one implementation for this server's demo chart and for
// any EHR that pastes the snippet
//
//   <script type="module" src="https://FSR-HOST/fullscript-button.js"></script>
//   <fullscript-recommend-button patient-id="123"></fullscript-recommend-button>
//
// Optional attributes: base-url (this server's address; default: where this script was loaded
// from), entrypoint ("labs" opens Fullscript's lab ordering), label (the visible text),
// practitioner-id (staff acting for a practitioner), variant ("secondary" for a smaller outline
// button). The element renders a plain link in its shadow DOM that opens /recommend/<id>/opening in
// a new tab: a page of ours ("Opening Fullscript for …") that shows at once and moves on to
// /recommend/<id>, which the server answers with a 302 to a fresh Fullscript link.
//
// One click is one tab and one draft: for a few seconds after a click the button reads "Opening…",
// tells screen readers so, and ignores further clicks (a double-click once opened two tabs and
// made two drafts). It stays a real link, so middle-click, Ctrl+click and the keyboard still work.
//
// This file imports nothing, so it works alone when loaded from another origin, and it builds
// its DOM without innerHTML: the patient id and label only ever reach textContent or a
// percent-encoded URL path segment.

const DEFAULT_LABEL = 'Recommend with Fullscript';
const LABS_LABEL = 'Order labs with Fullscript';
const NEW_TAB_NOTE = '(opens in a new tab)';
const OPENING_LABEL = 'Opening…';
const OPENING_ANNOUNCEMENT = 'Opening Fullscript in a new tab…';
// How long after a click the button reads "Opening…" and ignores clicks.
const OPENING_MS = 4000;
const SVG_NS = 'http://www.w3.org/2000/svg';

// Where this module was served from: links go back to the same server unless base-url says otherwise.
const SCRIPT_BASE = new URL('./', import.meta.url);

/** Styles for `.fsr-button`, shared by the custom element's shadow root and the demo chart. */
export const BUTTON_CSS = `
:host { display: inline-block; vertical-align: middle; }
:host([hidden]) { display: none; }
.fsr-button {
  box-sizing: border-box;
  display: inline-flex;
  align-items: center;
  gap: .5em;
  min-height: 44px;
  padding: .6em 1.1em;
  border: 2px solid var(--fsr-button-background, #0a7f55);
  border-radius: var(--fsr-button-radius, 8px);
  background: var(--fsr-button-background, #0a7f55);
  color: var(--fsr-button-color, #ffffff);
  font-family: var(--fsr-button-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif);
  font-size: 1rem;
  font-weight: 600;
  line-height: 1.25;
  text-decoration: none;
  cursor: pointer;
  transition: background-color .15s ease, border-color .15s ease;
}
.fsr-button:hover {
  background: var(--fsr-button-hover-background, #086646);
  border-color: var(--fsr-button-hover-background, #086646);
  color: var(--fsr-button-color, #ffffff);
}
.fsr-button:active { transform: translateY(1px); }
.fsr-button[aria-disabled="true"] { opacity: .75; cursor: progress; }
.fsr-button:focus-visible {
  outline: 3px solid var(--fsr-focus-color, #1a56db);
  outline-offset: 2px;
}
.fsr-button--secondary {
  min-height: 40px;
  padding: .45em .9em;
  background: var(--fsr-button-secondary-background, #ffffff);
  color: var(--fsr-button-background, #0a7f55);
  font-size: .9375rem;
}
.fsr-button--secondary:hover {
  background: #e5f4ed;
  border-color: var(--fsr-button-hover-background, #086646);
  color: var(--fsr-button-hover-background, #086646);
}
.fsr-button__icon { width: 1.15em; height: 1.15em; flex: none; }
.fsr-button__newtab { width: .9em; height: .9em; flex: none; opacity: .9; }
.fsr-unavailable {
  display: inline-block;
  padding: .5em .9em;
  border: 1px dashed #8a9aa2;
  border-radius: 8px;
  color: #44545c;
  font: .875rem/1.4 system-ui, sans-serif;
}
.fsr-visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
@media (forced-colors: active) {
  .fsr-button { border-color: LinkText; color: LinkText; }
  .fsr-button:focus-visible { outline-color: Highlight; }
}
@media (prefers-reduced-motion: reduce) {
  .fsr-button { transition: none; }
  .fsr-button:active { transform: none; }
}
`;

let sharedSheet = null;

/**
 * Applies BUTTON_CSS to a document or shadow root, through a constructable stylesheet where the
 * browser has them (not subject to a host page's style-src CSP), else through a <style> element.
 */
export function installButtonStyles(root = document) {
  const canAdopt = 'adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype;
  if (canAdopt) {
    if (!sharedSheet) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(BUTTON_CSS);
    }
    if (!root.adoptedStyleSheets.includes(sharedSheet)) {
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sharedSheet];
    }
    return;
  }
  const host = root instanceof Document ? root.head : root;
  if (host.querySelector('style[data-fsr-button]')) return;
  const style = document.createElement('style');
  style.dataset.fsrButton = '';
  style.textContent = BUTTON_CSS;
  host.prepend(style);
}

function resolveBase(baseUrl) {
  let base;
  try {
    base = new URL(baseUrl || SCRIPT_BASE.href, document.baseURI);
  } catch {
    return null;
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return null;
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return base;
}

/**
 * The /recommend URL for a patient, or null when the patient id or base URL cannot make one.
 * The id becomes one percent-encoded path segment. "." and ".." are refused: URL parsers treat them
 * (and their encodings) as dot segments, so no link could carry them.
 */
export function recommendUrl(patientId, { baseUrl, entrypoint, practitionerId } = {}) {
  const id = patientId == null ? '' : String(patientId);
  if (id === '' || id === '.' || id === '..') return null;
  const base = resolveBase(baseUrl);
  if (!base) return null;
  const url = new URL('recommend/' + encodeURIComponent(id), base);
  if (practitionerId) url.searchParams.set('practitioner_id', String(practitionerId));
  if (entrypoint) url.searchParams.set('entrypoint', String(entrypoint));
  return url;
}

/**
 * What the button opens: the opening page, /recommend/<id>/opening with recommendUrl's query, or
 * null when recommendUrl is.
 */
function openingUrl(patientId, options = {}) {
  const url = recommendUrl(patientId, options);
  if (url) url.pathname += '/opening';
  return url;
}

/** After a click: "Opening…" and no second tab for OPENING_MS; the first click goes ahead as a link does. */
function openOnce(link, label, status) {
  let timer = 0;
  link.addEventListener('click', (event) => {
    if (timer) {
      event.preventDefault();
      return;
    }
    const text = label.textContent;
    label.textContent = OPENING_LABEL;
    // The announcement names what happens; the visible word alone would be read twice. The link
    // keeps a name of its own meanwhile: a live region's text does not name it.
    label.setAttribute('aria-hidden', 'true');
    link.setAttribute('aria-label', OPENING_ANNOUNCEMENT);
    status.textContent = OPENING_ANNOUNCEMENT;
    link.setAttribute('aria-disabled', 'true');
    timer = setTimeout(() => {
      timer = 0;
      label.textContent = text;
      label.removeAttribute('aria-hidden');
      link.removeAttribute('aria-label');
      status.textContent = '';
      link.removeAttribute('aria-disabled');
    }, OPENING_MS);
  });
}

function svg(className, paths) {
  const icon = document.createElementNS(SVG_NS, 'svg');
  icon.setAttribute('class', className);
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('fill', 'none');
  icon.setAttribute('stroke', 'currentColor');
  icon.setAttribute('stroke-width', '2');
  icon.setAttribute('stroke-linecap', 'round');
  icon.setAttribute('stroke-linejoin', 'round');
  icon.setAttribute('aria-hidden', 'true');
  icon.setAttribute('focusable', 'false');
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    icon.append(path);
  }
  return icon;
}

/**
 * Builds the button: `<a class="fsr-button" href="/recommend/<id>/opening" target="_blank" rel="noopener">`.
 * Returns null when no link can be made (see recommendUrl). Same-origin links get a path-only href.
 * The link holds its own live region (empty until a click), so wherever it is placed, "Opening…"
 * is announced.
 */
export function createRecommendLink({
  patientId, baseUrl, entrypoint, practitionerId, label, variant, id, describedBy,
} = {}) {
  const url = openingUrl(patientId, { baseUrl, entrypoint, practitionerId });
  if (!url) return null;
  const text = (label && String(label).trim()) || (entrypoint === 'labs' ? LABS_LABEL : DEFAULT_LABEL);
  const link = document.createElement('a');
  link.className = variant === 'secondary' ? 'fsr-button fsr-button--secondary' : 'fsr-button';
  link.href = url.origin === location.origin ? url.pathname + url.search : url.href;
  link.target = '_blank';
  link.rel = 'noopener';
  link.dataset.patientId = String(patientId);
  if (entrypoint) link.dataset.entrypoint = String(entrypoint);
  if (id) link.id = id;
  if (describedBy) link.setAttribute('aria-describedby', describedBy);
  const name = document.createElement('span');
  name.className = 'fsr-button__label';
  name.textContent = text;
  const status = document.createElement('span');
  status.className = 'fsr-button__status fsr-visually-hidden';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  link.append(
    svg('fsr-button__icon', ['M5 20c0-8.5 5.5-14.5 15-15-.5 9.5-6.5 15-15 15z', 'M5 20l7.5-7.5']),
    name,
    svg('fsr-button__newtab', ['M14 4h6v6', 'M20 4l-8.5 8.5', 'M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5']),
    status,
  );
  openOnce(link, name, status);
  return link;
}

export class FullscriptRecommendButton extends HTMLElement {
  static get observedAttributes() {
    return ['patient-id', 'base-url', 'entrypoint', 'label', 'practitioner-id', 'variant'];
  }

  constructor() {
    super();
    // delegatesFocus: focusing or clicking the host lands on the link inside.
    this._root = this.attachShadow({ mode: 'open', delegatesFocus: true });
    installButtonStyles(this._root);
  }

  connectedCallback() { this._render(); }

  attributeChangedCallback() {
    if (this.isConnected) this._render();
  }

  /** The rendered link, or null when the attributes cannot make one. */
  get link() { return this._root.querySelector('a.fsr-button'); }

  get href() { return this.link ? this.link.href : null; }

  _render() {
    const link = createRecommendLink({
      patientId: this.getAttribute('patient-id'),
      baseUrl: this.getAttribute('base-url'),
      entrypoint: this.getAttribute('entrypoint'),
      practitionerId: this.getAttribute('practitioner-id'),
      label: this.getAttribute('label'),
      variant: this.getAttribute('variant'),
      describedBy: 'fsr-new-tab-note',
    });
    if (!link) {
      const unavailable = document.createElement('span');
      unavailable.className = 'fsr-unavailable';
      unavailable.setAttribute('role', 'note');
      unavailable.textContent = 'Fullscript button unavailable: it needs a valid patient-id (and base-url, if set, must be an http(s) address).';
      this._root.replaceChildren(unavailable);
      return;
    }
    link.setAttribute('part', 'button');
    const note = document.createElement('span');
    note.id = 'fsr-new-tab-note';
    note.className = 'fsr-visually-hidden';
    note.textContent = NEW_TAB_NOTE;
    this._root.replaceChildren(link, note);
  }
}

if (!customElements.get('fullscript-recommend-button')) {
  customElements.define('fullscript-recommend-button', FullscriptRecommendButton);
}
