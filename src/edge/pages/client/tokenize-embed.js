/* payrail tokenization widget: PayrailTokenize.mount(element, { publicToken, locale, onToken, onError }). */
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
