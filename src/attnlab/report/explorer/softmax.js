/* attnlab softmax panel: softmax(s·z) as the reader moves the scale s (q3 and q4 of the report).
 * Every element with class "softmax-panel" holds its logits in data-softmax; the slider sets s = 2^x.
 * The weights show at least 5 decimals and more where a weight lies so close to 1 (or 0) that 5 would
 * round it there, as attnlab.report.softmax.format_weight writes them. Nothing is fetched. */
(function () {
  'use strict';
  function softmax(z, s) {
    var top = -Infinity, i, e = [], total = 0;
    for (i = 0; i < z.length; i++) top = Math.max(top, s * z[i]);
    for (i = 0; i < z.length; i++) { e.push(Math.exp(s * z[i] - top)); total += e[i]; }
    return e.map(function (v) { return v / total; });
  }
  function weight(p) {
    var gap = Math.min(p, 1 - p);
    var digits = gap <= 0 ? 5 : Math.max(5, Math.min(12, 1 - Math.floor(Math.log10(gap))));
    return p.toFixed(digits);
  }
  function grad(p) {
    var g = p * (1 - p);
    return g >= 1e-4 ? String(Number(g.toPrecision(2))) : g.toExponential(1);
  }
  function scaleText(x) {  // s = 2^x as a fraction where it is one
    if (x === 0) return '1';
    return x < 0 ? '1/' + String(Number(Math.pow(2, -x).toPrecision(3))) : String(Number(Math.pow(2, x).toPrecision(3)));
  }
  function start(root) {
    if (root.getAttribute('data-softmax-ready') === '1') return;
    var data = JSON.parse(root.getAttribute('data-softmax'));
    var live = root.querySelector('.softmax-live'), input = root.querySelector('.softmax-scale');
    var out = root.querySelector('.softmax-out');
    var top = 0;
    data.logits.forEach(function (v, i) { if (v > data.logits[top]) top = i; });
    function render() {
      var x = parseFloat(input.value), s = Math.pow(2, x), p = softmax(data.logits, s);
      var text = 's = ' + scaleText(x) + (Math.abs(s - 1 / Math.sqrt(data.d_k)) < 1e-9 ? ' = 1/√d_k' : '') +
        (Math.abs(s - 1 / data.d_k) < 1e-9 ? ' = 1/d_k' : '') + ': softmax = [' + p.map(weight).join(', ') +
        '], ∂p' + (top + 1) + '/∂z' + (top + 1) + ' = ' + grad(p[top]);
      out.textContent = text;
      var rows = root.querySelectorAll('tr[data-scale]');
      for (var i = 0; i < rows.length; i++) {
        rows[i].classList.toggle('current', Math.abs(parseFloat(rows[i].getAttribute('data-scale')) - s) < 1e-4 * s);
      }
    }
    input.addEventListener('input', render);
    live.hidden = false;
    render();
    root.setAttribute('data-softmax-ready', '1');
  }
  function startAll() { document.querySelectorAll('.softmax-panel').forEach(start); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAll); else startAll();
})();
