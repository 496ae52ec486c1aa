/* payrail self-employed widget page: posts the person's answer, shows the outcome. */
(function () {
  'use strict';
  var root = document.getElementById('payrail-self-employed');
  if (!root) return;
  var token = root.getAttribute('data-token');
  var $ = function (id) { return document.getElementById(id); };
  var allow = $('allow'), decline = $('decline'), error = $('error');
  if (!allow || !decline) return;

  function show(state) {
    root.setAttribute('data-state', state);
    $('ask').hidden = true;
    $('outcome-bound').hidden = state !== 'bound';
    $('outcome-declined').hidden = state !== 'declined';
  }

  function answer(value) {
    allow.disabled = decline.disabled = true;
    error.hidden = true;
    var label = allow.textContent;
    if (value === 'allow') allow.textContent = allow.getAttribute('data-sending') || label;
    fetch('/self-employed/' + encodeURIComponent(token) + '/answer', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer: value })
    })
      .then(function (res) { return res.json().then(function (json) { return { ok: res.ok, json: json }; }); })
      .then(function (r) {
        if (r.ok && r.json && r.json.status === 'ok') { show(r.json.page.state); return; }
        throw new Error('refused');
      })
      .catch(function () {
        allow.textContent = label;
        allow.disabled = decline.disabled = false;
        error.hidden = false;
      });
  }
  allow.addEventListener('click', function () { answer('allow'); });
  decline.addEventListener('click', function () { answer('decline'); });
})();
