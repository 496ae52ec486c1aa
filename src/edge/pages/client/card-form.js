/* payrail card form: formatting, live validation, brand detection, tokenization. */
(function () {
  'use strict';
  var STRINGS = /*@STRINGS@*/null;
  var BRAND_NAMES = { visa: 'Visa', mastercard: 'Mastercard', amex: 'Amex', discover: 'Discover', jcb: 'JCB', diners: 'Diners Club', mir: 'Mir', unionpay: 'UnionPay' };

  function strings(locale) { return STRINGS[locale] || STRINGS.en; }
  function digitsOf(value) { return String(value || '').replace(/\D/g, ''); }
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
    if (!/^\d{12,19}$/.test(d)) return false;
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
    if (!/^\d{2}\/?\d{2}$/.test(String(value).trim())) return S.errExpiryFormat;
    var month = Number(d.slice(0, 2)), year = 2000 + Number(d.slice(2, 4));
    if (month < 1 || month > 12) return S.errExpiryMonth;
    now = now || new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) return S.errExpiryPast;
    return '';
  }
  function codeError(d, S) {
    if (!d) return S.errCodeEmpty;
    return /^\d{3,4}$/.test(d) ? '' : S.errCodeFormat;
  }

  /** Keeps the caret after the same number of digits when the value is reformatted. */
  function reformat(input, format) {
    var caret = input.selectionStart == null ? input.value.length : input.selectionStart;
    var before = digitsOf(input.value.slice(0, caret)).length;
    var next = format(digitsOf(input.value));
    if (next === input.value) return;
    input.value = next;
    var i = 0, seen = 0;
    while (i < next.length && seen < before) { if (/\d/.test(next.charAt(i))) seen++; i++; }
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
