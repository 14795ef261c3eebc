// Calendar drag and drop: drop a scheduled post on another day to move it there, keeping its
// time of day. The server checks everything (campaign dates, the past, the version); on refusal
// the item goes back and the reason is announced. Without scripts, the post page has a form.
(function () {
  var cal = document.querySelector('.calendar');
  if (!cal) return;
  var csrf = cal.getAttribute('data-csrf');
  var status = document.querySelector('.cal-status');
  var dragged = null;
  function say(text, bad) { status.textContent = text; status.className = 'cal-status' + (bad ? ' error' : ' notice'); }
  cal.addEventListener('dragstart', function (e) {
    var item = e.target.closest && e.target.closest('[data-post]');
    if (!item) return;
    dragged = item;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', item.getAttribute('data-post'));
  });
  cal.addEventListener('dragover', function (e) {
    if (dragged && e.target.closest('.cal-day')) { e.preventDefault(); }
  });
  cal.addEventListener('drop', function (e) {
    var day = e.target.closest('.cal-day');
    if (!dragged || !day) return;
    e.preventDefault();
    var item = dragged, from = item.parentNode, next = item.nextSibling;
    dragged = null;
    if (from === day) return;
    day.appendChild(item);
    var body = new URLSearchParams();
    body.set('date', day.getAttribute('data-date'));
    body.set('version', item.getAttribute('data-version'));
    fetch('/posts/' + item.getAttribute('data-post') + '/reschedule', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, 'accept': 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok && res.j.ok) {
          item.setAttribute('data-version', res.j.version);
          say(cal.getAttribute('data-moved') || '✓');
        } else {
          from.insertBefore(item, next);
          say((res.j.errors || []).join(' '), true);
        }
      }).catch(function () { from.insertBefore(item, next); say('✗', true); });
  });
})();
