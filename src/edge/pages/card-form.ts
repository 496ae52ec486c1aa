import fs from 'node:fs';
import { escapeHtml } from './html.js';

/**
 * The card form shared by the tokenization widget and the hosted payment page: its strings in
 * English and Russian, its markup (rendered on the server, every string escaped), its styles, and
 * the one client script (/widget/card-form.js) that formats, validates and tokenizes. The script is
 * plain ES2017 in client/card-form.js, served as written there but for its strings, filled in once.
 */
export type Locale = 'en' | 'ru';

export const localeOf = (value: unknown): Locale | undefined => (value === 'ru' || value === 'en' ? value : undefined);

const en = {
  cardNumber: 'Card number',
  expiry: 'Expiry date',
  expiryHint: 'MM/YY',
  securityCode: 'Security code',
  securityCodeHint: 'CVC/CVV',
  numberPlaceholder: '1234 1234 1234 1234',
  saveCardButton: 'Save card',
  saving: 'Saving…',
  cardSaved: 'Card saved',
  errNumberEmpty: 'Enter the card number',
  errNumberLength: 'A card number has 12 to 19 digits',
  errNumberLuhn: 'This card number is not valid',
  errExpiryEmpty: 'Enter the expiry date',
  errExpiryFormat: 'Enter the date as MM/YY',
  errExpiryMonth: 'The month must be 01 to 12',
  errExpiryPast: 'This card has expired',
  errCodeEmpty: 'Enter the security code',
  errCodeFormat: 'The code has 3 or 4 digits',
  errLink: 'This form is no longer valid. Reload the page to try again.',
  errRate: 'Too many attempts. Reload the page to try again.',
  errNetwork: 'No connection to the server. Check your network and try again.',
  errGeneric: 'The card could not be processed. Check the details and try again.',
  needJs: 'This page needs JavaScript to take a card payment.',
  title: 'Payment',
  merchant: 'Merchant',
  amount: 'Amount',
  pay: 'Pay {amount}',
  saveCard: 'Save this card for future payments',
  paying: 'Sending…',
  processing: 'Processing your payment…',
  threeDs: 'Confirm the payment with your bank',
  threeDsHint: 'Your bank asks you to confirm this payment.',
  threeDsFrame: '3-D Secure verification',
  succeeded: 'Payment successful',
  succeededText: 'Thank you! Your payment of {amount} was accepted.',
  failed: 'Payment declined',
  failedText: 'The payment did not go through.',
  reasonCode: 'Reason code',
  returning: 'Returning to the store…',
  returnLink: 'Return to the store',
  secureNote: 'Your card details go straight to payrail; the store never sees them.',
  linkInvalid: 'This payment link is not valid',
  reason_card_declined: 'Your bank declined the payment.',
  reason_insufficient_funds: 'There is not enough money on the card.',
  reason_bank_card_expired: 'The card has expired.',
  reason_3DS_error: 'The payment was not confirmed with your bank.',
  reason_3DS_timeout: 'The confirmation with your bank took too long.',
  reason_confirm_timeout: 'The store did not complete the payment in time.',
  reason_cancelled_by_partner: 'The store cancelled the payment.',
  reason_provider_internal_error: 'Your bank could not be reached. Try again later.',
};
export type Strings = typeof en;

const ru: Strings = {
  cardNumber: 'Номер карты',
  expiry: 'Срок действия',
  expiryHint: 'ММ/ГГ',
  securityCode: 'Код безопасности',
  securityCodeHint: 'CVC/CVV',
  numberPlaceholder: '1234 1234 1234 1234',
  saveCardButton: 'Сохранить карту',
  saving: 'Сохраняем…',
  cardSaved: 'Карта сохранена',
  errNumberEmpty: 'Введите номер карты',
  errNumberLength: 'В номере карты от 12 до 19 цифр',
  errNumberLuhn: 'Неверный номер карты',
  errExpiryEmpty: 'Введите срок действия',
  errExpiryFormat: 'Введите дату в формате ММ/ГГ',
  errExpiryMonth: 'Месяц — от 01 до 12',
  errExpiryPast: 'Срок действия карты истёк',
  errCodeEmpty: 'Введите код безопасности',
  errCodeFormat: 'В коде 3 или 4 цифры',
  errLink: 'Форма больше не действительна. Обновите страницу и попробуйте снова.',
  errRate: 'Слишком много попыток. Обновите страницу и попробуйте снова.',
  errNetwork: 'Нет связи с сервером. Проверьте подключение и попробуйте снова.',
  errGeneric: 'Не удалось обработать карту. Проверьте данные и попробуйте снова.',
  needJs: 'Для оплаты картой на этой странице нужен JavaScript.',
  title: 'Оплата',
  merchant: 'Продавец',
  amount: 'Сумма',
  pay: 'Оплатить {amount}',
  saveCard: 'Сохранить карту для следующих оплат',
  paying: 'Отправляем…',
  processing: 'Обрабатываем платёж…',
  threeDs: 'Подтвердите платёж в банке',
  threeDsHint: 'Банк просит подтвердить этот платёж.',
  threeDsFrame: 'Проверка 3-D Secure',
  succeeded: 'Оплата прошла успешно',
  succeededText: 'Спасибо! Платёж на сумму {amount} принят.',
  failed: 'Платёж отклонён',
  failedText: 'Платёж не прошёл.',
  reasonCode: 'Код причины',
  returning: 'Возвращаемся в магазин…',
  returnLink: 'Вернуться в магазин',
  secureNote: 'Данные карты передаются напрямую в payrail; магазин их не видит.',
  linkInvalid: 'Ссылка на оплату недействительна',
  reason_card_declined: 'Банк отклонил платёж.',
  reason_insufficient_funds: 'На карте недостаточно средств.',
  reason_bank_card_expired: 'Срок действия карты истёк.',
  reason_3DS_error: 'Платёж не подтверждён в банке.',
  reason_3DS_timeout: 'Время на подтверждение в банке истекло.',
  reason_confirm_timeout: 'Магазин не завершил платёж вовремя.',
  reason_cancelled_by_partner: 'Магазин отменил платёж.',
  reason_provider_internal_error: 'Банк недоступен. Попробуйте позже.',
};

export const STRINGS: Readonly<Record<Locale, Strings>> = { en, ru };

/**
 * The three card fields, each with its label and an error slot the script fills (aria-live). They
 * have no name on purpose: should the script not run, submitting the form sends no card data.
 */
export function cardFields(s: Strings): string {
  return `<div class="field">
  <label for="card-number">${escapeHtml(s.cardNumber)}</label>
  <div class="input-wrap">
    <input id="card-number" type="text" inputmode="numeric" autocomplete="cc-number" spellcheck="false" maxlength="23"
      placeholder="${escapeHtml(s.numberPlaceholder)}" aria-required="true" aria-describedby="card-number-error">
    <span class="brand" id="card-brand" data-testid="brand" aria-live="polite"></span>
  </div>
  <p class="error" id="card-number-error" data-testid="card-number-error" aria-live="polite"></p>
</div>
<div class="row">
  <div class="field">
    <label for="card-expiry">${escapeHtml(s.expiry)} <span class="hint">(${escapeHtml(s.expiryHint)})</span></label>
    <input id="card-expiry" type="text" inputmode="numeric" autocomplete="cc-exp" spellcheck="false" maxlength="5"
      placeholder="${escapeHtml(s.expiryHint)}" aria-required="true" aria-describedby="card-expiry-error">
    <p class="error" id="card-expiry-error" data-testid="card-expiry-error" aria-live="polite"></p>
  </div>
  <div class="field">
    <label for="card-csc">${escapeHtml(s.securityCode)} <span class="hint">(${escapeHtml(s.securityCodeHint)})</span></label>
    <input id="card-csc" type="text" inputmode="numeric" autocomplete="cc-csc" spellcheck="false" maxlength="4"
      placeholder="123" aria-required="true" aria-describedby="card-csc-error">
    <p class="error" id="card-csc-error" data-testid="card-csc-error" aria-live="polite"></p>
  </div>
</div>
<p class="form-error" data-role="form-error" data-testid="form-error" role="alert" hidden></p>`;
}

export const CARD_FORM_CSS = `
  [hidden] { display: none !important; }
  .card-form { display: grid; gap: .9rem; }
  .field { display: grid; gap: .3rem; align-content: start; min-width: 0; }
  .field label { font-size: .875rem; font-weight: 600; color: #333b4d; }
  .field .hint { font-weight: 400; color: #5b6475; white-space: nowrap; }
  .input-wrap { position: relative; }
  .field input { width: 100%; box-sizing: border-box; font: inherit; font-size: 16px; padding: .7rem .8rem; border: 1px solid #c6ccd8; border-radius: 8px; background: #fff; color: inherit; font-variant-numeric: tabular-nums; }
  .field input:focus { outline: none; border-color: #1f5eff; box-shadow: 0 0 0 3px rgba(31,94,255,.25); }
  .field input[aria-invalid="true"] { border-color: #c62828; }
  .field input[aria-invalid="true"]:focus { box-shadow: 0 0 0 3px rgba(198,40,40,.2); }
  .field input[readonly] { background: #f3f5f9; }
  #card-number { letter-spacing: .02em; }
  .brand { position: absolute; right: .55rem; top: 50%; transform: translateY(-50%); font-size: .75rem; font-weight: 700; padding: .2rem .5rem; border-radius: 4px; background: #eef1f6; color: #333b4d; pointer-events: none; white-space: nowrap; }
  .brand:empty { display: none; }
  .brand[data-brand="visa"] { background: #1a1f71; color: #fff; }
  .brand[data-brand="mastercard"] { background: #eb001b; color: #fff; }
  .brand[data-brand="mir"] { background: #0f754e; color: #fff; }
  .brand[data-brand="amex"] { background: #2e77bc; color: #fff; }
  .row { display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: auto auto auto; column-gap: .9rem; }
  .row .field { grid-row: span 3; grid-template-rows: subgrid; row-gap: .3rem; }
  .row .field label { align-self: end; }
  @media (max-width: 280px) { .row { grid-template-columns: 1fr; grid-template-rows: none; row-gap: .9rem; } .row .field { grid-row: auto; grid-template-rows: none; } }
  .error { color: #b3261e; font-size: .8125rem; margin: 0; }
  .error:empty { display: none; }
  .form-error { background: #fdecea; color: #8c1d18; padding: .6rem .8rem; border-radius: 8px; margin: 0; font-size: .875rem; }
  .card-form button[type="submit"] { width: 100%; font-weight: 600; }
  button.primary:disabled { opacity: .65; cursor: progress; }
  .check { display: flex; gap: .55rem; align-items: flex-start; font-size: .9rem; }
  .check input { width: 1.1rem; height: 1.1rem; margin: .1rem 0 0; flex: none; }
  .check input:focus-visible { outline: 3px solid #9db8ff; outline-offset: 2px; }
`;

/**
 * The text of a browser script in src/edge/pages/client/, read once when the module loads. The same
 * relative path reaches the source folder from src/edge/pages (tsx) and from dist/edge/pages (the
 * build), as the migrations are found; the scripts are served as written, with no build step.
 */
export function clientScript(file: string): string {
  return fs.readFileSync(new URL(`../../../src/edge/pages/client/${file}`, import.meta.url), 'utf8');
}

/** The one placeholder in client/card-form.js that the server fills: every locale's strings. */
const STRINGS_PLACEHOLDER = '/*@STRINGS@*/null';

function withStrings(source: string): string {
  const parts = source.split(STRINGS_PLACEHOLDER);
  if (parts.length !== 2) throw new Error(`client/card-form.js must hold ${STRINGS_PLACEHOLDER} exactly once`);
  return parts.join(JSON.stringify(STRINGS));
}

/** /widget/card-form.js (client/card-form.js with STRINGS filled in): defines window.PayrailCardForm. */
export const CARD_FORM_JS = withStrings(clientScript('card-form.js'));
