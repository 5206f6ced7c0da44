// Rollcall console: progressive enhancement only (every page works without it).
// Builds DOM with textContent, never innerHTML: data from identity providers stays text.
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // Copy buttons beside values to paste into the identity provider.
  document.querySelectorAll('code.copy').forEach(function (code) {
    if (!navigator.clipboard) return;
    var b = el('button', 'copy-button', 'Copy');
    b.type = 'button';
    b.setAttribute('aria-label', 'Copy ' + (code.id === 'token' ? 'the token' : 'the value'));
    b.addEventListener('click', function () {
      navigator.clipboard.writeText(code.textContent || '').then(function () {
        b.textContent = 'Copied';
      });
    });
    code.insertAdjacentElement('afterend', b);
  });
  // The setup page's live view: polls the organization's first requests.
  var live = document.querySelector('[data-poll]');
  if (!live) return;
  var url = live.getAttribute('data-poll');
  function render(s) {
    live.setAttribute('data-state', s.state);
    live.textContent = '';
    var head;
    if (s.state === 'waiting') head = el('p', 'waiting', 'Waiting for the first request from ' + s.provider + '… Run its connection test now.');
    else if (s.state === 'connected') {
      head = el('p', 'success');
      head.appendChild(el('strong', null, 'Connected.'));
      head.appendChild(document.createTextNode(' ' + s.provider + ' reached this application. New requests appear below as they arrive.'));
    } else {
      head = el('p', 'failure');
      head.appendChild(el('strong', null, s.provider + ' reached the application, but its requests were refused.'));
      head.appendChild(document.createTextNode(' See what to do below.'));
    }
    live.appendChild(head);
    if (s.entries.length) {
      var ul = el('ul', 'entries');
      s.entries.forEach(function (e) {
        var li = el('li');
        li.appendChild(el('time', null, e.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')));
        li.appendChild(document.createTextNode(' '));
        li.appendChild(el('span', 'badge ' + (e.status >= 500 ? 'bad' : e.status >= 400 ? 'warn' : 'ok'), String(e.status)));
        li.appendChild(document.createTextNode(' '));
        li.appendChild(el('code', null, e.request));
        if (e.explanation) li.appendChild(el('p', 'error-detail', e.explanation));
        ul.appendChild(li);
      });
      live.appendChild(ul);
    }
  }
  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (s) {
        if (s) render(s);
      })
      .catch(function () {})
      .then(function () {
        setTimeout(poll, 2000);
      });
  }
  setTimeout(poll, 1000);
})();
