// Keeps /publishing current without a reload: every `data-every` seconds, while the tab is
// visible, the page is fetched again and its main content swapped in place (scroll position
// and focus stay). It never runs for readers who ask for reduced motion, pauses while the tab
// is hidden (catching up once when it returns), and waits while the reader has a detail open.
(function () {
  var box = document.getElementById('refresh');
  var main = document.getElementById('main');
  if (!box || !main || !window.fetch || !window.DOMParser) return;
  if (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches) return;
  // Read on every tick: the box is replaced with the content it lives in.
  function every() {
    var b = document.getElementById('refresh');
    return 1000 * ((b && parseInt(b.getAttribute('data-every'), 10)) || 30);
  }
  var hint = document.getElementById('refresh-hint');
  if (hint && hint.getAttribute('data-auto')) hint.textContent = hint.getAttribute('data-auto');
  var last = Date.now();
  var busy = false;

  function busyReading() {
    return main.querySelector('details[open]') !== null ||
      (document.activeElement && document.activeElement !== document.body &&
       main.contains(document.activeElement) && document.activeElement.tagName !== 'A');
  }

  function refresh() {
    if (busy || document.visibilityState !== 'visible' || busyReading()) return;
    busy = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('main');
        if (fresh) {
          main.innerHTML = fresh.innerHTML;
          var h = document.getElementById('refresh-hint');
          if (h && h.getAttribute('data-auto')) h.textContent = h.getAttribute('data-auto');
        }
        last = Date.now();
      })
      .catch(function () { /* keep the page as it is; the link still works */ })
      .then(function () { busy = false; });
  }

  window.setInterval(function () {
    if (Date.now() - last >= every()) refresh();
  }, 1000);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && Date.now() - last >= every()) refresh();
  });
})();
