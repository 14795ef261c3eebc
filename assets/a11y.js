// After a failed save the server puts an error summary at the top of the form: move focus to it
// so a screen reader announces it at once, and make each of its links land on the control
// (not just on the message next to it), naming the field by its label.
(function () {
  var summary = document.getElementById('error-summary');
  if (!summary) return;
  function control(id) {
    var c = document.querySelector('[aria-describedby~="' + id + '"]');
    if (c && c.tagName === 'FIELDSET') c = c.querySelector('input, select, textarea');
    return c;
  }
  function labelOf(c) {
    if (!c) return '';
    var set = c.closest('fieldset');
    if (c.labels && c.labels.length && !(c.type === 'checkbox' || c.type === 'radio')) {
      return c.labels[0].textContent.replace(/\*|\d+\s*\/\s*\d+/g, '').trim();
    }
    var legend = set && set.querySelector('legend');
    return legend ? legend.textContent.replace(/\*/g, '').trim() : (c.getAttribute('aria-label') || '');
  }
  Array.prototype.forEach.call(summary.querySelectorAll('a[href^="#e-"]'), function (a) {
    var c = control(a.getAttribute('href').slice(1));
    var name = labelOf(c);
    if (name) a.textContent = name + ': ' + a.textContent;
    a.addEventListener('click', function (e) {
      if (!c) return;
      e.preventDefault();
      c.focus();
      c.scrollIntoView({ block: 'center' });
    });
  });
  summary.focus();
})();
