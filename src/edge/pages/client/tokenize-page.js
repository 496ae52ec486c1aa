/* payrail tokenization widget: the framed page. */
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
