// On a phone the eleven links of the main menu wrapped to five rows above every page. With
// script, they fold behind one "Menu" button there (without script they stay open, as on a
// desktop, so nothing is ever out of reach). The button says whether the menu is open.
(function () {
  var button = document.querySelector('.menu-toggle');
  var menu = document.getElementById('site-menu');
  if (!button || !menu) return;
  document.documentElement.classList.add('js-menu');
  button.hidden = false;
  button.addEventListener('click', function () {
    var open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    menu.classList.toggle('open', open);
  });
})();
