// Upload with a progress bar: large CSV files on slow district links take a while. The server
// answers with the errors (a page that replaces this one) or redirects to the result. Without scripts the
// form posts normally.
(function () {
  var form = document.getElementById('import-form');
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = document.getElementById('import-progress');
  var text = document.getElementById('import-progress-text');
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.getAttribute('action'));
    bar.hidden = false;
    xhr.upload.onprogress = function (p) {
      if (!p.lengthComputable) return;
      var pct = Math.round(100 * p.loaded / p.total);
      bar.value = pct; text.textContent = pct + '%';
    };
    xhr.upload.onload = function () { bar.removeAttribute('value'); text.textContent = '…'; };
    xhr.onload = function () {
      // A good import redirects to its result page: go there, so the address is the result's.
      if (xhr.status === 200 && xhr.responseURL && xhr.responseURL.indexOf('/imports/') > 0) {
        window.location.assign(xhr.responseURL); return;
      }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () { text.textContent = '✗'; bar.hidden = true; };
    xhr.send(new FormData(form));
  });
})();
