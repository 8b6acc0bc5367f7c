(function () {
  var tip = document.getElementById('tip');
  document.addEventListener('mouseover', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
  });
  document.addEventListener('mousemove', function (e) {
    tip.style.left = (e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  });
  var charts = document.querySelectorAll('[data-chart]');
  var drawn = 0;
  charts.forEach(function (c) { if (c.querySelector('[data-value]')) { drawn += 1; } });
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-charts-with-data', String(drawn));
})();
