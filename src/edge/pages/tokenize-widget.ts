import { CARD_FORM_CSS, STRINGS, cardFields, clientScript, type Locale } from './card-form.js';
import { HostedPage, escapeHtml } from './html.js';

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

/**
 * The framed page. Unlike the other hosted pages it must be framed, by the partner's own checkout
 * on any origin (frame-ancestors https: http:, no X-Frame-Options): there is no per-project list of
 * partner origins to narrow it to. What a framing page gets is only what the widget posts to it
 * (the number_hash, usable only with that project's signed API), and the widget frames nothing and
 * submits no form (its script tokenizes with fetch).
 */
export const TOKENIZE_PAGE = new HostedPage({
  css: CARD_FORM_CSS + WIDGET_CSS,
  scripts: ['/widget/card-form.js', '/widget/tokenize-page.js'],
  connect: true,
  frameAncestors: 'partners',
});

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
  return TOKENIZE_PAGE.render(s.cardNumber, body, input.locale);
}

/** /widget/tokenize-page.js (client/tokenize-page.js): runs inside the frame, talks to the embedding page only through postMessage. */
export const TOKENIZE_PAGE_JS = clientScript('tokenize-page.js');

/**
 * /widget/tokenize.js (client/tokenize-embed.js), the one file a partner embeds:
 *   PayrailTokenize.mount(element, { publicToken, locale, onToken(result), onError(err) })
 * inserts the frame and hands its messages on, but only those that come from that frame.
 */
export const TOKENIZE_EMBED_JS = clientScript('tokenize-embed.js');
