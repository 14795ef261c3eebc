// Focal point: click the picture where the subject is; the crops of every variant keep that
// point in frame. The numbers below the picture can be typed instead.
(function () {
  var img = document.getElementById('focal-image');
  var x = document.getElementById('f-focal_x'), y = document.getElementById('f-focal_y');
  if (!img || !x || !y) return;
  var mark = document.createElement('span');
  mark.className = 'focal-mark';
  img.parentNode.style.position = 'relative';
  img.parentNode.appendChild(mark);
  function place() {
    mark.style.left = (img.offsetLeft + img.clientWidth * parseFloat(x.value || 0.5)) + 'px';
    mark.style.top = (img.offsetTop + img.clientHeight * parseFloat(y.value || 0.5)) + 'px';
  }
  img.addEventListener('click', function (e) {
    var r = img.getBoundingClientRect();
    x.value = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)).toFixed(2);
    y.value = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)).toFixed(2);
    place();
  });
  x.addEventListener('input', place); y.addEventListener('input', place);
  if (img.complete) place(); else img.addEventListener('load', place);
})();
