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
  // Attaching an image can tighten a limit (a Telegram caption is shorter than a message).
  var media = document.getElementById('f-media');
  if (media) media.addEventListener('change', function () {
    form.querySelectorAll('[data-limit-media]').forEach(function (el) {
      el.setAttribute('data-limit', media.value ? el.getAttribute('data-limit-media') : el.getAttribute('data-limit-plain'));
      // A person's text is only recounted; a derived one is derived again for the new limit.
      if (el.getAttribute('data-derived') !== '1') el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    var title = document.getElementById('master-title');
    if (title) title.dispatchEvent(new Event('input', { bubbles: true }));
  });
  form.querySelectorAll('[data-variant]').forEach(function (pane) {
    var flag = pane.querySelector('[data-edited-flag]');
    pane.addEventListener('input', function (e) {
      if (e.target.hasAttribute('data-limit') && flag) flag.value = '1';
    });
  });
})();
