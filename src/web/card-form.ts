import { escapeHtml } from './html.js';

/**
 * The card form shared by the tokenization widget and the hosted payment page: its strings in
 * English and Russian, its markup (rendered on the server, every string escaped), its styles, and
 * the one client script (/widget/card-form.js) that formats, validates and tokenizes. The script is
 * plain ES2017 kept as a string, so what the browser runs is exactly what is written here.
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

/** /widget/card-form.js: defines window.PayrailCardForm. */
export const CARD_FORM_JS = `/* payrail card form: formatting, live validation, brand detection, tokenization. */
(function () {
  'use strict';
  var STRINGS = ${JSON.stringify(STRINGS)};
  var BRAND_NAMES = { visa: 'Visa', mastercard: 'Mastercard', amex: 'Amex', discover: 'Discover', jcb: 'JCB', diners: 'Diners Club', mir: 'Mir', unionpay: 'UnionPay' };

  function strings(locale) { return STRINGS[locale] || STRINGS.en; }
  function digitsOf(value) { return String(value || '').replace(/\\D/g, ''); }
  function between(n, lo, hi) { return n >= lo && n <= hi; }

  /** Brand by BIN range, as the server decides it, once enough digits are typed to tell. */
  function detectBrand(d) {
    var p2 = Number(d.slice(0, 2)), p3 = Number(d.slice(0, 3)), p4 = Number(d.slice(0, 4)), p6 = Number(d.slice(0, 6));
    var n = d.length;
    if (n >= 4 && between(p4, 2200, 2204)) return 'mir';
    if (n >= 2 && (p2 === 34 || p2 === 37)) return 'amex';
    if ((n >= 3 && between(p3, 300, 305)) || (n >= 2 && (p2 === 36 || p2 === 38 || p2 === 39)) || (n >= 4 && p4 === 3095)) return 'diners';
    if (n >= 4 && between(p4, 3528, 3589)) return 'jcb';
    if ((n >= 4 && p4 === 6011) || (n >= 2 && p2 === 65) || (n >= 3 && between(p3, 644, 649)) || (n >= 6 && between(p6, 622126, 622925))) return 'discover';
    if (n >= 2 && p2 === 62) return 'unionpay';
    if ((n >= 2 && between(p2, 51, 55)) || (n >= 4 && between(p4, 2221, 2720))) return 'mastercard';
    if (d.charAt(0) === '4') return 'visa';
    return '';
  }
  /** Where the spaces go, and how many digits make a whole number, per brand. */
  function layout(brand) {
    if (brand === 'amex') return { gaps: [4, 10], length: 15 };
    if (brand === 'diners') return { gaps: [4, 10], length: 14 };
    return { gaps: [4, 8, 12, 16], length: 16 };
  }
  function luhn(d) {
    if (!/^\\d{12,19}$/.test(d)) return false;
    var sum = 0;
    for (var i = 0; i < d.length; i++) {
      var x = d.charCodeAt(d.length - 1 - i) - 48;
      if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9; }
      sum += x;
    }
    return sum % 10 === 0;
  }
  function formatNumber(d) {
    d = d.slice(0, 19);
    var gaps = layout(detectBrand(d)).gaps, out = '';
    for (var i = 0; i < d.length; i++) { if (i > 0 && gaps.indexOf(i) >= 0) out += ' '; out += d.charAt(i); }
    return out;
  }
  function formatExpiry(d) {
    d = d.slice(0, 4);
    return d.length > 2 ? d.slice(0, 2) + '/' + d.slice(2) : d;
  }

  function numberError(d, S) {
    if (!d) return S.errNumberEmpty;
    if (d.length < 12 || d.length > 19) return S.errNumberLength;
    return luhn(d) ? '' : S.errNumberLuhn;
  }
  function expiryError(value, S, now) {
    var d = digitsOf(value);
    if (!d) return S.errExpiryEmpty;
    if (!/^\\d{2}\\/?\\d{2}$/.test(String(value).trim())) return S.errExpiryFormat;
    var month = Number(d.slice(0, 2)), year = 2000 + Number(d.slice(2, 4));
    if (month < 1 || month > 12) return S.errExpiryMonth;
    now = now || new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) return S.errExpiryPast;
    return '';
  }
  function codeError(d, S) {
    if (!d) return S.errCodeEmpty;
    return /^\\d{3,4}$/.test(d) ? '' : S.errCodeFormat;
  }

  /** Keeps the caret after the same number of digits when the value is reformatted. */
  function reformat(input, format) {
    var caret = input.selectionStart == null ? input.value.length : input.selectionStart;
    var before = digitsOf(input.value.slice(0, caret)).length;
    var next = format(digitsOf(input.value));
    if (next === input.value) return;
    input.value = next;
    var i = 0, seen = 0;
    while (i < next.length && seen < before) { if (/\\d/.test(next.charAt(i))) seen++; i++; }
    if (document.activeElement === input) input.setSelectionRange(i, i);
  }

  /** The text for an error answered by the server (or the network). */
  function errorText(locale, err) {
    var S = strings(locale), code = err && err.code;
    if (code === 'invalid_public_token') return S.errLink;
    if (code === 'rate_limited') return S.errRate;
    if (code === 'network_error') return S.errNetwork;
    return S.errGeneric;
  }

  /** POST /cds/v1/tokenize/card with the public token: resolves to {token, info}, rejects with {code, description}. */
  function tokenize(publicToken, card) {
    var body = { card: { number: card.number, expiration_month: card.expiration_month, expiration_year: card.expiration_year } };
    if (card.security_code) body.card.security_code = card.security_code;
    return fetch('/cds/v1/tokenize/card', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-public-token': publicToken },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        if (res.ok && json && json.data && typeof json.data.token === 'string') return { token: json.data.token, info: json.data.info };
        var e = (json && json.error) || {};
        throw { code: String(e.code || 'http_' + res.status), description: String(e.description || res.statusText) };
      });
    }, function () {
      throw { code: 'network_error', description: 'the server could not be reached' };
    });
  }

  /**
   * Wires a rendered card form: formatting and brand as the payer types, an error next to a field as
   * soon as it is complete (or left), all fields checked on submit (Enter or the button), the first
   * wrong one focused. opts.onSubmit(card) gets {number, expiration_month, expiration_year, security_code}.
   */
  function attach(form, opts) {
    var locale = opts.locale, S = strings(locale);
    var fields = { number: form.querySelector('#card-number'), expiry: form.querySelector('#card-expiry'), csc: form.querySelector('#card-csc') };
    var brandEl = form.querySelector('#card-brand');
    var formError = form.querySelector('[data-role="form-error"]');
    var submit = form.querySelector('button[type="submit"]');
    var submitLabel = submit ? submit.textContent : '';
    var shown = {}, busy = false;

    function check(name) {
      var v = fields[name].value;
      if (name === 'number') return numberError(digitsOf(v), S);
      if (name === 'expiry') return expiryError(v, S);
      return codeError(digitsOf(v), S);
    }
    function complete(name) {
      var d = digitsOf(fields[name].value);
      if (name === 'number') return d.length >= layout(detectBrand(d)).length;
      if (name === 'expiry') return d.length >= 4;
      return d.length >= 4;
    }
    function setError(name, message) {
      var input = fields[name];
      var slot = document.getElementById(input.id + '-error');
      if (slot.textContent !== message) slot.textContent = message;
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      shown[name] = !!message;
    }
    function showBrand() {
      var brand = detectBrand(digitsOf(fields.number.value));
      if (brandEl.textContent === (brand ? BRAND_NAMES[brand] : '')) return;
      brandEl.textContent = brand ? BRAND_NAMES[brand] : '';
      if (brand) brandEl.setAttribute('data-brand', brand); else brandEl.removeAttribute('data-brand');
      // The digits stop short of the badge, whatever its width.
      fields.number.style.paddingRight = brand ? brandEl.offsetWidth + 16 + 'px' : '';
    }

    Object.keys(fields).forEach(function (name) {
      var input = fields[name];
      input.addEventListener('input', function () {
        if (name === 'number') { reformat(input, formatNumber); showBrand(); }
        else if (name === 'expiry') reformat(input, formatExpiry);
        else reformat(input, function (d) { return d.slice(0, 4); });
        if (shown[name] || complete(name)) setError(name, check(name));
      });
      input.addEventListener('blur', function () {
        if (input.value !== '') setError(name, check(name));
      });
    });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      var first = null;
      ['number', 'expiry', 'csc'].forEach(function (name) {
        var message = check(name);
        setError(name, message);
        if (message && !first) first = fields[name];
      });
      if (first) { first.focus(); return; }
      showFormError('');
      var exp = digitsOf(fields.expiry.value);
      opts.onSubmit({ number: digitsOf(fields.number.value), expiration_month: exp.slice(0, 2), expiration_year: exp.slice(2, 4), security_code: digitsOf(fields.csc.value) });
    });

    function showFormError(message) {
      formError.textContent = message;
      formError.hidden = !message;
    }
    function setBusy(on, label) {
      busy = on;
      form.setAttribute('aria-busy', on ? 'true' : 'false');
      Object.keys(fields).forEach(function (name) { fields[name].readOnly = on; });
      var extra = form.querySelectorAll('input[type="checkbox"]');
      for (var i = 0; i < extra.length; i++) extra[i].disabled = on;
      if (submit) { submit.disabled = on; submit.textContent = on && label ? label : submitLabel; }
    }
    return { showFormError: showFormError, setBusy: setBusy, tokenize: tokenize, focus: function () { fields.number.focus(); } };
  }

  window.PayrailCardForm = {
    attach: attach, strings: strings, errorText: errorText, tokenize: tokenize, detectBrand: detectBrand, luhn: luhn,
    brandName: function (id) { return BRAND_NAMES[id] || ''; },
  };
})();
`;
