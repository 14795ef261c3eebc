// Print buttons (`data-print`): the content security policy runs no inline handlers, so the
// click is bound here.
document.addEventListener('click', function (e) {
  var button = e.target.closest && e.target.closest('[data-print]');
  if (button) window.print();
});
