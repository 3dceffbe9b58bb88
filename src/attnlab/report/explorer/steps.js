/* attnlab explorer step-through: one stage of a head's computation at a time (x → q, k → q·k → ÷√d_k → mask →
 * softmax → ·v). Every section.ax-steps holds all its stages as static HTML (written by
 * attnlab.report.explorer.steps); this shows the first, and the stage tabs and the previous / next buttons
 * (arrow keys, Home and End on the tabs) move between them. Without it every stage shows, in order. Nothing
 * is fetched; a second copy of this script only starts the panels not started yet. */
(function () {
  'use strict';
  function start(root) {
    if (root.getAttribute('data-steps-ready') === '1') return;
    var stages = root.querySelectorAll('.ax-stage'), tabs = root.querySelectorAll('.ax-stagetab');
    var bar = root.querySelector('.ax-stagetabs'), nav = root.querySelector('.ax-stepnav');
    var prev = root.querySelector('.ax-sprev'), next = root.querySelector('.ax-snext');
    var n = stages.length, cur = 0;
    if (!n) return;
    function show(k, focusTab) {
      cur = Math.max(0, Math.min(n - 1, k));
      for (var i = 0; i < n; i++) {
        stages[i].hidden = i !== cur;
        tabs[i].setAttribute('aria-selected', String(i === cur));
        tabs[i].tabIndex = i === cur ? 0 : -1;
      }
      prev.disabled = cur === 0;
      next.disabled = cur === n - 1;
      root.setAttribute('data-stage', String(cur));
      if (focusTab) tabs[cur].focus();
    }
    for (var i = 0; i < n; i++) {
      tabs[i].addEventListener('click', function () { show(+this.getAttribute('data-s')); });
    }
    bar.addEventListener('keydown', function (ev) {
      var to = {ArrowLeft: cur - 1, ArrowRight: cur + 1, Home: 0, End: n - 1}[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      ev.stopPropagation();
      show(to, true);
    });
    prev.addEventListener('click', function () { show(cur - 1); if (prev.disabled) next.focus(); });
    next.addEventListener('click', function () { show(cur + 1); if (next.disabled) prev.focus(); });
    bar.hidden = false;
    nav.hidden = false;
    show(0);
    root.setAttribute('data-steps-ready', '1');
  }
  function startAll() { document.querySelectorAll('.ax-steps').forEach(start); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAll);
  startAll();
})();
