/* payrail hosted payment page. */
(function () {
  'use strict';
  var root = document.getElementById('payrail-payment');
  if (!root) return;
  var token = root.getAttribute('data-token');
  var locale = root.getAttribute('data-locale') || 'en';
  var amount = root.getAttribute('data-amount') || '';
  var S = PayrailCardForm.strings(locale);
  var base = '/payment/' + encodeURIComponent(token);
  var $ = function (id) { return document.getElementById(id); };
  var form = $('card-form'), saveCard = $('save-card'), progress = $('progress'), challenge = $('challenge'), frame = $('challenge-frame'), result = $('result');
  var polling = false, finished = false;

  function safeUrl(url) {
    try {
      var u = new URL(url, location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
    } catch (e) {
      return '';
    }
  }
  function only(el) { [form, progress, challenge, result].forEach(function (x) { x.hidden = x !== el; }); }
  function reason(error) {
    var key = error && typeof error.code === 'string' ? 'reason_' + error.code : '';
    return key && Object.prototype.hasOwnProperty.call(S, key) ? S[key] : '';
  }

  function showChallenge(url) {
    if (typeof url !== 'string' || url.indexOf('/3ds/') !== 0) { only(progress); return; }
    if (frame.getAttribute('src') !== url) frame.setAttribute('src', url);
    if (challenge.hidden) { only(challenge); $('challenge-title').focus(); }
  }
  frame.addEventListener('load', function () {
    try {
      var main = frame.contentDocument && frame.contentDocument.querySelector('main');
      if (main) frame.style.height = Math.ceil(main.getBoundingClientRect().bottom + main.offsetTop) + 'px';
    } catch (e) { /* the 3-D Secure page handed over to another origin */ }
  });

  function finish(view) {
    finished = true;
    var ok = view.state === 'succeeded';
    result.setAttribute('data-outcome', view.state);
    $('result-title').textContent = ok ? S.succeeded : S.failed;
    $('result-text').textContent = ok ? (amount ? S.succeededText.replace('{amount}', amount) : '') : reason(view.error) || S.failedText;
    var detail = $('result-detail');
    if (!ok && view.error && view.error.code) { detail.textContent = S.reasonCode + ': ' + String(view.error.code); detail.hidden = false; }
    var back = typeof view.return_url === 'string' ? safeUrl(view.return_url) : '';
    if (back) {
      $('result-returning').textContent = S.returning;
      var link = $('result-link');
      link.href = back;
      link.textContent = S.returnLink;
      $('result-return').hidden = false;
      setTimeout(function () { window.location.assign(back); }, 1000);
    }
    only(result);
    $('result-title').focus();
  }

  function render(view) {
    if (finished || !view) return;
    if (view.state === 'processing') only(progress);
    else if (view.state === 'action_required') showChallenge(view.challenge_url);
    else if (view.state === 'succeeded' || view.state === 'failed') finish(view);
  }

  function poll() {
    if (polling) return;
    polling = true;
    (function tick() {
      fetch(base + '/state', { cache: 'no-store' })
        .then(function (res) { return res.json(); })
        .then(function (json) { if (json && json.status === 'ok') render(json.page); })
        .catch(function () { /* try again on the next tick */ })
        .then(function () { if (!finished) setTimeout(tick, 700); });
    })();
  }

  function pay(card, ui) {
    ui.setBusy(true, S.paying);
    PayrailCardForm.tokenize(token, card)
      .then(function (tokenized) {
        var body = { number_hash: tokenized.token, security_code: card.security_code };
        if (saveCard) body.save_card = saveCard.checked;
        return fetch(base + '/pay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          function (res) {
            return res.json().catch(function () { return null; }).then(function (json) {
              if (res.ok && json && json.status === 'ok') return json.page;
              var e = (json && json.error) || {};
              throw { code: String(e.code || 'http_' + res.status), description: String(e.description || '') };
            });
          },
          function () { throw { code: 'network_error', description: 'the server could not be reached' }; }
        );
      })
      .then(
        function (view) { if (view && view.state !== 'form') only(progress); render(view); poll(); },
        function (error) { ui.setBusy(false); ui.showFormError(PayrailCardForm.errorText(locale, error)); }
      );
  }

  if (!form.hidden) {
    var ui = PayrailCardForm.attach(form, { locale: locale, onSubmit: function (card) { pay(card, ui); } });
  } else {
    poll();
  }
})();
