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
  // Times: in the viewer's time zone, with how long ago; the UTC time on hover (the page itself
  // says UTC, for readers without the script).
  function ago(ms) {
    var s = Math.round(ms / 1000);
    if (s < 0) return 'in the future';
    if (s < 60) return 'just now';
    var m = Math.round(s / 60);
    if (m < 60) return m + ' min ago';
    var h = Math.round(m / 60);
    if (h < 48) return h + ' h ago';
    return Math.round(h / 24) + ' days ago';
  }
  function localTime(t) {
    var iso = t.getAttribute('datetime');
    var d = new Date(iso || '');
    if (isNaN(d.getTime())) return;
    t.title = d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
    t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) + ' (' + ago(Date.now() - d.getTime()) + ')';
  }
  document.querySelectorAll('time[datetime]').forEach(localTime);
  // A refused form: its errors are read out and in view (the form may be far down the page).
  var summary = document.querySelector('.error-summary');
  if (summary) summary.focus();
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
      head.appendChild(document.createTextNode(' ' + s.provider + ' reached ' + s.application + '. New requests appear below as they arrive.'));
    } else {
      head = el('p', 'failure');
      head.appendChild(el('strong', null, s.provider + ' reached ' + s.application + ', but its requests were refused.'));
      head.appendChild(document.createTextNode(' See what to do below.'));
    }
    live.appendChild(head);
    if (s.entries.length) {
      var ul = el('ul', 'entries');
      s.entries.forEach(function (e) {
        var li = el('li');
        var t = el('time', null, e.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
        t.setAttribute('datetime', e.at);
        localTime(t);
        li.appendChild(t);
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
