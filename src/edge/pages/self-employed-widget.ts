import { clientScript, localeOf, type Locale } from './card-form.js';
import { HostedPage, escapeHtml } from './html.js';
import type { SelfEmployedView } from '../../domain/tokens/self-employed-widget.js';

/**
 * The self-employed widget's page (GET /en|ru/self-employed/:token, /self-employed/:token): the
 * sandbox stand-in for the screen where a self-employed person lets the partner register their
 * income with the tax service. It shows who asks and the masked tax reference, with Allow and
 * Decline; the script posts the answer (/self-employed/:token/answer) and shows the outcome.
 */
const STRINGS = {
  en: {
    title: 'Self-employed tax registration',
    merchant: 'Requested by',
    taxReference: 'Tax reference (INN)',
    ask: '{merchant} asks your permission to register the income it pays you with the tax service, as the self-employed regime requires. You can withdraw it later in your tax service account.',
    allow: 'Allow',
    decline: 'Decline',
    sending: 'Sending…',
    bound: 'Permission given',
    boundText: '{merchant} can now register your income with the tax service.',
    declined: 'Permission refused',
    declinedText: '{merchant} cannot register your income. Ask it for a new link if you change your mind.',
    failed: 'Your answer could not be recorded. Reload the page to try again.',
    linkInvalid: 'This link is not valid',
    needJs: 'This page needs JavaScript.',
  },
  ru: {
    title: 'Регистрация дохода самозанятого',
    merchant: 'Запрос от',
    taxReference: 'ИНН',
    ask: '{merchant} просит разрешения регистрировать в налоговой службе доход, который вам выплачивает, как того требует режим самозанятости. Разрешение можно отозвать в приложении «Мой налог».',
    allow: 'Разрешить',
    decline: 'Отказать',
    sending: 'Отправляем…',
    bound: 'Разрешение выдано',
    boundText: '{merchant} теперь может регистрировать ваш доход в налоговой службе.',
    declined: 'В разрешении отказано',
    declinedText: '{merchant} не сможет регистрировать ваш доход. Если передумаете, запросите новую ссылку.',
    failed: 'Не удалось сохранить ответ. Обновите страницу и попробуйте снова.',
    linkInvalid: 'Ссылка недействительна',
    needJs: 'Для этой страницы нужен JavaScript.',
  },
} as const satisfies Record<Locale, Record<string, string>>;

const PAGE_CSS = `
  [hidden] { display: none !important; }
  .ask { line-height: 1.45; }
  .outcome { padding: .8rem 1rem; border-radius: 8px; font-weight: 600; }
  .outcome[data-outcome="bound"] { background: #e8f5ec; color: #14532d; }
  .outcome[data-outcome="declined"] { background: #fdecea; color: #8c1d18; }
  .outcome p { font-weight: 400; margin: .4rem 0 0; }
  .form-error { background: #fdecea; color: #8c1d18; padding: .6rem .8rem; border-radius: 8px; font-size: .875rem; }
  button:disabled { opacity: .65; cursor: progress; }
`;

/** Not framed (its Allow button must not be overlaid), talks to payrail only, submits no form. */
export const SELF_EMPLOYED_PAGE = new HostedPage({ css: PAGE_CSS, scripts: ['/widget/self-employed.js'], connect: true, frameAncestors: 'none' });
export const SELF_EMPLOYED_PROBLEM_PAGE = new HostedPage({ css: PAGE_CSS, frameAncestors: 'none' });

export { localeOf };

export function renderSelfEmployedPage(token: string, view: SelfEmployedView): string {
  const s = STRINGS[view.locale];
  const fill = (text: string) => text.replace('{merchant}', view.merchant);
  const asking = view.state === 'ask';
  const body = `
<div id="payrail-self-employed" data-token="${escapeHtml(token)}" data-locale="${escapeHtml(view.locale)}" data-state="${escapeHtml(view.state)}">
<h1>${escapeHtml(s.title)}</h1>
<dl>
  <dt>${escapeHtml(s.merchant)}</dt><dd data-testid="merchant">${escapeHtml(view.merchant)}</dd>
  <dt>${escapeHtml(s.taxReference)}</dt><dd data-testid="tax-reference">${escapeHtml(view.taxReference)}</dd>
</dl>
<section id="ask"${asking ? '' : ' hidden'}>
<p class="ask" data-testid="ask">${escapeHtml(fill(s.ask))}</p>
<p class="form-error" id="error" role="alert" data-testid="error" hidden>${escapeHtml(s.failed)}</p>
<div class="actions">
<button type="button" id="decline" data-testid="decline">${escapeHtml(s.decline)}</button>
<button type="button" class="primary" id="allow" data-testid="allow" data-sending="${escapeHtml(s.sending)}">${escapeHtml(s.allow)}</button>
</div>
</section>
<section class="outcome" id="outcome-bound" data-outcome="bound" role="status" data-testid="outcome-bound"${view.state === 'bound' ? '' : ' hidden'}>${escapeHtml(s.bound)}<p>${escapeHtml(fill(s.boundText))}</p></section>
<section class="outcome" id="outcome-declined" data-outcome="declined" role="status" data-testid="outcome-declined"${view.state === 'declined' ? '' : ' hidden'}>${escapeHtml(s.declined)}<p>${escapeHtml(fill(s.declinedText))}</p></section>
<noscript><p class="form-error">${escapeHtml(s.needJs)}</p></noscript>
</div>`;
  return SELF_EMPLOYED_PAGE.render(s.title, body, view.locale);
}

/** An unknown, expired link or an unknown language: both languages, since the person's is not known. */
export function renderSelfEmployedProblem(): string {
  const body = `<h1>${escapeHtml(STRINGS.en.linkInvalid)}</h1>
<p lang="ru"><strong>${escapeHtml(STRINGS.ru.linkInvalid)}</strong></p>
<p class="note">Ask the company for a new link. <span lang="ru">Запросите у компании новую ссылку.</span></p>`;
  return SELF_EMPLOYED_PROBLEM_PAGE.render(STRINGS.en.linkInvalid, body, 'en');
}

/** /widget/self-employed.js (client/self-employed.js). */
export const SELF_EMPLOYED_JS = clientScript('self-employed.js');
