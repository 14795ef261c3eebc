// Report pages: the print button and the share link's copy button. Both are hidden in the
// page and shown here, so a browser without scripts never shows a button that does nothing.
(function () {
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var source = document.querySelector(button.getAttribute('data-copy'));
    var status = button.parentNode.querySelector('.copy-status');
    if (!source) return;
    button.hidden = false;
    function say(text) { if (status) status.textContent = text; }
    // The older route for browsers without the clipboard API (or on plain http).
    function fallback(text) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      return ok;
    }
    button.addEventListener('click', function () {
      var text = source.getAttribute('href') || source.textContent;
      var done = button.getAttribute('data-done'), failed = button.getAttribute('data-failed');
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say(done); },
          function () { say(fallback(text) ? done : failed); });
      } else {
        say(fallback(text) ? done : failed);
      }
    });
  });
})();
