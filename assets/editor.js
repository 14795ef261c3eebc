// Post editor: a channel's variant is shown only while the channel is chosen, and typing in a
// variant marks it as written by a person, so the server keeps that text instead of deriving it.
(function () {
  var form = document.getElementById('post-editor');
  if (!form) return;
  form.querySelectorAll('[data-channel-toggle]').forEach(function (box) {
    var pane = form.querySelector('[data-variant="' + box.getAttribute('data-channel-toggle') + '"]');
    function sync() { if (pane) pane.hidden = !box.checked; }
    box.addEventListener('change', sync);
    sync();
  });
  form.querySelectorAll('[data-variant]').forEach(function (pane) {
    var flag = pane.querySelector('[data-edited-flag]');
    pane.addEventListener('input', function (e) {
      if (e.target.hasAttribute('data-limit') && flag) flag.value = '1';
    });
  });
})();
