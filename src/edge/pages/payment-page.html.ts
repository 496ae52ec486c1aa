import { currencyExponent } from '../../kernel/currencies.js';
import { formatMinorUnits } from '../../kernel/money.js';
import { CARD_FORM_CSS, STRINGS, cardFields, clientScript, type Strings } from './card-form.js';
import { HostedPage, escapeHtml } from './html.js';
import type { PageView } from './payment-page.service.js';

/**
 * The hosted payment page's HTML (GET /en/payment/:token, /ru/payment/:token, /payment/:token) and its script (/widget/payment-page.js).
 * The server renders what it knows (merchant, amount, the card form) with every value escaped; the
 * script then pays, polls /payment/:token/state and writes what it shows with textContent only.
 */

/** The amount in the page's language ("$12.50", "1 234,50 ₽"), or the plain "12.50 USD" form. */
export function displayAmount(view: Pick<PageView, 'amount' | 'currency' | 'amount_text' | 'locale'>): string {
  if (view.amount === null || view.currency === null) return view.amount_text ?? '';
  try {
    const exponent = currencyExponent(view.currency);
    return new Intl.NumberFormat(view.locale, { style: 'currency', currency: view.currency.toUpperCase(), minimumFractionDigits: exponent, maximumFractionDigits: exponent }).format(
      // Intl takes a decimal string exactly (no float division): "1234.50", not 1234.5 rounded.
      formatMinorUnits(view.amount, exponent) as Intl.StringNumericLiteral,
    );
  } catch {
    return view.amount_text ?? '';
  }
}

const PAGE_CSS = `
  .summary { align-items: baseline; }
  .summary dd.total { font-size: 1.5rem; font-variant-numeric: tabular-nums; }
  .summary dd { overflow-wrap: anywhere; }
  .progress { display: flex; gap: .75rem; align-items: center; padding: 1rem 0; font-weight: 600; }
  .spinner { width: 1.25rem; height: 1.25rem; flex: none; border: 3px solid #d6dcea; border-top-color: #1f5eff; border-radius: 50%; animation: payrail-spin .8s linear infinite; }
  @keyframes payrail-spin { to { transform: rotate(360deg); } }
  @media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 2.4s; } }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
  h2:focus { outline: none; }
  #challenge .note { margin: 0 0 .75rem; }
  #challenge-frame { display: block; width: 100%; height: 420px; border: 1px solid #e1e5ee; border-radius: 10px; background: #f3f5f9; }
  .result { text-align: center; padding: .5rem 0; }
  .result .icon { width: 3rem; height: 3rem; border-radius: 50%; margin: 0 auto .75rem; display: grid; place-items: center; font-size: 1.6rem; font-weight: 700; color: #fff; }
  .result[data-outcome="succeeded"] .icon { background: #1e8e3e; }
  .result[data-outcome="succeeded"] .icon::before { content: "\\2713"; }
  .result[data-outcome="failed"] .icon { background: #c62828; }
  .result[data-outcome="failed"] .icon::before { content: "\\2715"; }
  .result p { margin: .4rem 0; }
  .result a { color: #1f5eff; }
  .card-form .note { margin: 0; text-align: center; }
  @media (max-width: 480px) { body { margin: 0; } main { margin: 0 auto; border-radius: 0; box-shadow: none; min-height: 100vh; box-sizing: border-box; } }
`;

/**
 * The payment page: never framed (its Pay button and card form are not to be overlaid by another
 * site), its scripts talk to payrail only, and it frames one thing, payrail's own 3-D Secure page.
 * It submits no form itself (the script pays with fetch).
 */
export const PAYMENT_PAGE = new HostedPage({
  css: CARD_FORM_CSS + PAGE_CSS,
  scripts: ['/widget/card-form.js', '/widget/payment-page.js'],
  connect: true,
  frames: true,
  frameAncestors: 'none',
});

/** The page for an unknown or expired link: no script, not framed. */
export const PAYMENT_LINK_PROBLEM_PAGE = new HostedPage({ css: CARD_FORM_CSS + PAGE_CSS, frameAncestors: 'none' });

/** The page for a valid payment link, in the token's language. */
export function renderPaymentPage(token: string, view: PageView): string {
  const s: Strings = STRINGS[view.locale];
  const amount = displayAmount(view);
  const formHidden = view.state === 'form' ? '' : ' hidden';
  const busyHidden = view.state === 'form' ? ' hidden' : '';
  const body = `
<div id="payrail-payment" data-token="${escapeHtml(token)}" data-locale="${escapeHtml(view.locale)}" data-state="${escapeHtml(view.state)}" data-amount="${escapeHtml(amount)}">
<h1>${escapeHtml(s.title)}</h1>
<dl class="summary">
  <dt>${escapeHtml(s.merchant)}</dt><dd data-testid="merchant">${escapeHtml(view.merchant)}</dd>
  <dt>${escapeHtml(s.amount)}</dt><dd class="total" data-testid="amount">${escapeHtml(amount)}</dd>
</dl>
<form id="card-form" class="card-form" novalidate${formHidden}>
${cardFields(s)}
${view.show_recurrent_checkbox ? `<label class="check"><input type="checkbox" id="save-card" name="save_card" data-testid="save-card"><span>${escapeHtml(s.saveCard)}</span></label>` : ''}
<button class="primary" type="submit" data-testid="pay">${escapeHtml(s.pay.replace('{amount}', amount).trim())}</button>
<p class="note">${escapeHtml(s.secureNote)}</p>
</form>
<div id="progress" class="progress" role="status" aria-live="polite" data-testid="progress"${busyHidden}><span class="spinner" aria-hidden="true"></span><span id="progress-text">${escapeHtml(s.processing)}</span></div>
<section id="challenge" data-testid="challenge" aria-labelledby="challenge-title" hidden>
<h2 id="challenge-title" tabindex="-1">${escapeHtml(s.threeDs)}</h2>
<p class="note">${escapeHtml(s.threeDsHint)}</p>
<iframe id="challenge-frame" title="${escapeHtml(s.threeDsFrame)}" data-testid="challenge-frame"></iframe>
</section>
<section id="result" class="result" data-testid="result" aria-live="polite" hidden>
<div class="icon" aria-hidden="true"></div>
<h2 id="result-title" tabindex="-1" data-testid="result-title"></h2>
<p id="result-text" data-testid="result-text"></p>
<p class="note" id="result-detail" data-testid="result-detail" hidden></p>
<p id="result-return" hidden><span id="result-returning"></span> <a id="result-link"></a></p>
</section>
<noscript><p class="form-error">${escapeHtml(s.needJs)}</p></noscript>
</div>`;
  return PAYMENT_PAGE.render(`${s.title}: ${view.merchant}`, body, view.locale);
}

/** The page for a link that is unknown or expired: the payer cannot tell the language, so both. */
export function renderPaymentLinkProblem(): string {
  const body = `<h1>${escapeHtml(STRINGS.en.linkInvalid)}</h1>
<p lang="ru"><strong>${escapeHtml(STRINGS.ru.linkInvalid)}</strong></p>
<p class="note">Ask the store for a new payment link. <span lang="ru">Запросите у магазина новую ссылку на оплату.</span></p>`;
  return PAYMENT_LINK_PROBLEM_PAGE.render(STRINGS.en.linkInvalid, body, 'en');
}

/** The page for /<locale>/payment/… with a language the page does not have (only en and ru exist). */
export function renderUnknownLocale(locale: string): string {
  const body = `<h1>Page not found</h1>
<p lang="ru"><strong>Страница не найдена</strong></p>
<p class="note" data-testid="unknown-locale">The payment page has no language "${escapeHtml(locale.slice(0, 32))}": use /en/payment/… or /ru/payment/…. <span lang="ru">Страница оплаты доступна по адресам /en/payment/… и /ru/payment/….</span></p>`;
  return PAYMENT_LINK_PROBLEM_PAGE.render('Page not found', body, 'en');
}

/** /widget/payment-page.js (client/payment-page.js): pay, poll, show 3-D Secure inline, show the outcome, return to the store. */
export const PAYMENT_PAGE_JS = clientScript('payment-page.js');
