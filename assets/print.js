// The poster page's print button (a file, not an inline handler: the pages run under a
// Content-Security-Policy without inline script).
(function () {
  var button = document.getElementById('print-posters');
  if (button) button.addEventListener('click', function () { window.print(); });
})();
