import { CARD_FORM_CSS, STRINGS, cardFields, type Locale } from './card-form.js';
import { escapeHtml, page } from './html.js';

/**
 * The tokenization widget: the script a partner embeds (/widget/tokenize.js), the page it frames
 * (/widget/tokenize) and that page's own script (/widget/tokenize-page.js). The card number is typed
 * on payrail's origin only; the partner's page gets the number_hash through postMessage.
 */

const WIDGET_CSS = `
  :root, body { background: transparent; }
  body { margin: 0; }
  main { max-width: none; margin: 0; padding: 4px; background: transparent; border-radius: 0; box-shadow: none; }
  .done { display: flex; gap: .6rem; align-items: center; padding: .8rem 1rem; border-radius: 8px; background: #e8f5ec; color: #14532d; }
  .done strong { font-weight: 700; }
`;

/** The framed page: the card form, or (when the public token cannot be used) why not. */
export function renderTokenizePage(input: { token: string; locale: Locale; problem?: string | undefined }): string {
  const s = STRINGS[input.locale];
  const body = input.problem
    ? `<div id="payrail-widget" data-locale="${escapeHtml(input.locale)}" data-problem="${escapeHtml(input.problem)}">
<p class="form-error" role="alert" data-testid="form-error">${escapeHtml(s.errLink)}</p>
</div>`
    : `<div id="payrail-widget" data-token="${escapeHtml(input.token)}" data-locale="${escapeHtml(input.locale)}">
<form id="card-form" class="card-form" novalidate>
${cardFields(s)}
<button class="primary" type="submit" data-testid="submit">${escapeHtml(s.saveCardButton)}</button>
</form>
<p class="done" id="done" role="status" data-testid="done" hidden><strong>${escapeHtml(s.cardSaved)}</strong><span id="done-card"></span></p>
<noscript><p class="form-error">${escapeHtml(s.needJs)}</p></noscript>
</div>`;
  const head = `<style>${CARD_FORM_CSS}${WIDGET_CSS}</style>
<script src="/widget/card-form.js" defer></script>
<script src="/widget/tokenize-page.js" defer></script>`;
  return page(s.cardNumber, body, input.locale, head);
}

/** /widget/tokenize-page.js: runs inside the frame, talks to the embedding page only through postMessage. */
export const TOKENIZE_PAGE_JS = `/* payrail tokenization widget: the framed page. */
(function () {
  'use strict';
  var root = document.getElementById('payrail-widget');
  var locale = root.getAttribute('data-locale') || 'en';
  function post(message) { if (window.parent !== window) window.parent.postMessage(message, '*'); }
  function reportHeight() { post({ type: 'payrail:resize', height: Math.ceil(document.body.getBoundingClientRect().height) }); }
  if (typeof ResizeObserver === 'function') new ResizeObserver(reportHeight).observe(document.body);
  reportHeight();

  var problem = root.getAttribute('data-problem');
  if (problem) { post({ type: 'payrail:error', error: { code: 'invalid_public_token', description: problem } }); return; }

  var token = root.getAttribute('data-token');
  var form = document.getElementById('card-form');
  var S = PayrailCardForm.strings(locale);
  var ui = PayrailCardForm.attach(form, {
    locale: locale,
    onSubmit: function (card) {
      ui.setBusy(true, S.saving);
      PayrailCardForm.tokenize(token, card).then(function (result) {
        form.hidden = true;
        var info = result.info || {};
        var masked = String(info.masked_card_number || '');
        var brand = PayrailCardForm.brandName(info.card_type) || String(info.card_type || '');
        document.getElementById('done-card').textContent = brand + ' •••• ' + masked.slice(-4);
        document.getElementById('done').hidden = false;
        post({ type: 'payrail:token', token: result.token, info: info });
      }, function (error) {
        ui.setBusy(false);
        ui.showFormError(PayrailCardForm.errorText(locale, error));
        post({ type: 'payrail:error', error: error });
      });
    },
  });
})();
`;

/**
 * /widget/tokenize.js, the one file a partner embeds:
 *   PayrailTokenize.mount(element, { publicToken, locale, onToken(result), onError(err) })
 * inserts the frame and hands its messages on, but only those that come from that frame.
 */
export const TOKENIZE_EMBED_JS = `/* payrail tokenization widget: PayrailTokenize.mount(element, { publicToken, locale, onToken, onError }). */
(function () {
  'use strict';
  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : '';

  function mount(element, options) {
    var opts = options || {};
    var el = typeof element === 'string' ? document.querySelector(element) : element;
    if (!el || typeof el.appendChild !== 'function') throw new TypeError('PayrailTokenize.mount: an element (or a selector of one) is required');
    if (typeof opts.publicToken !== 'string' || opts.publicToken === '') throw new TypeError('PayrailTokenize.mount: options.publicToken is required');
    var origin = opts.origin ? new URL(opts.origin).origin : scriptOrigin;
    if (!origin) throw new TypeError('PayrailTokenize.mount: cannot tell the payrail origin; pass options.origin');

    var query = new URLSearchParams({ token: opts.publicToken });
    if (opts.locale) query.set('locale', opts.locale);
    var iframe = document.createElement('iframe');
    iframe.src = origin + '/widget/tokenize?' + query.toString();
    iframe.title = opts.title || (opts.locale === 'ru' ? 'Данные карты' : 'Card details');
    iframe.setAttribute('scrolling', 'no');
    iframe.style.cssText = 'display:block;width:100%;height:280px;border:0;overflow:hidden;background:transparent';

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== origin) return;
      var data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.type === 'payrail:token' && typeof data.token === 'string') {
        if (typeof opts.onToken === 'function') opts.onToken({ token: data.token, info: data.info || {} });
      } else if (data.type === 'payrail:error') {
        if (typeof opts.onError === 'function') opts.onError(data.error || {});
      } else if (data.type === 'payrail:resize' && typeof data.height === 'number' && data.height > 0) {
        iframe.style.height = Math.ceil(Math.min(data.height, 2000)) + 'px';
      }
    }
    window.addEventListener('message', onMessage);
    el.appendChild(iframe);
    return {
      iframe: iframe,
      destroy: function () { window.removeEventListener('message', onMessage); if (iframe.parentNode) iframe.parentNode.removeChild(iframe); },
    };
  }

  window.PayrailTokenize = { mount: mount };
})();
`;
