/* attnlab attention explorer: a head view and a model view of attention weights.
 *
 * Every element with class "attnlab-explorer" holds its own data in a child JSON script block of
 * class "ax-data" (written by attnlab.report.explorer) and gets
 * its own, independent explorer: nothing here uses ids or global state beyond the one
 * window.attnlabExplorer entry point, so a page may embed many explorers and include this script once
 * or several times (a second copy only initialises roots that are not ready yet).
 *
 * Data: tokens (T), shape [L, H, T], weights quantised to round(1000 * w) and packed one byte per
 * value below 128, two bytes (0x80 | q >> 7, q & 0x7F) otherwise; optionally zlib-compressed
 * (codec "q1000+zlib"), inflated with the browser's DecompressionStream. Nothing is fetched.
 */
(function () {
  'use strict';
  var VERSION = 1;
  if (window.attnlabExplorer && window.attnlabExplorer.version >= VERSION) {
    window.attnlabExplorer.initAll();
    return;
  }

  var SCALE = 1000;
  var ROW = 20;  // px per token row in the head view (the CSS reads it from --ax-row)
  var TOKEN_FONT = '13px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
  var UI_FONT = '-apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif';
  // Categorical colours chosen to stay distinct on white and from each other; beyond 12 heads,
  // hues are spread by the golden angle.
  // The head detectors of attnlab.analysis.circuits the model view can mark, in English and Chinese.
  var DETECTORS = ['previous_token', 'duplicate_token', 'induction'];
  var DETECTOR_NAMES = {previous_token: ['previous-token', '前一词元'], duplicate_token: ['duplicate-token', '重复词元'],
    induction: ['induction', '归纳']};
  // The attribution methods of attnlab.analysis.attribution the attribution view shows, in English and Chinese.
  var METHOD_NAMES = {
    erasure: ['erasure (leave one out)', '擦除（逐个删去词元）'],
    raw: ['raw attention (last layer, mean over heads)', '原始注意力（最后一层，对头取平均）'],
    rollout: ['attention rollout (Abnar & Zuidema 2020)', '注意力展开（Abnar & Zuidema 2020）'],
    flow: ['attention flow (Abnar & Zuidema 2020)', '注意力流（Abnar & Zuidema 2020）'],
    norm: ['norm-based ‖α f(x)‖ (Kobayashi et al. 2020)', '基于范数的 ‖α f(x)‖（Kobayashi 等人 2020）'],
    attention_grad: ['attention × gradient', '注意力 × 梯度'],
    grad_input: ['gradient × input', '梯度 × 输入']
  };
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
    '#bcbd22', '#17becf', '#222222', '#e6ab02'];
  // Sequential ramp for the maps (white to dark blue), indexed by sqrt(weight) so that the many
  // small weights of long inputs stay visible; the legend says so.
  var RAMP = [[255, 255, 255], [222, 235, 247], [158, 202, 225], [66, 146, 198], [8, 81, 156], [8, 38, 84]];

  function headColor(h) {
    if (h < PALETTE.length) return PALETTE[h];
    return 'hsl(' + Math.round((h * 137.508) % 360) + ', 62%, 42%)';
  }

  function rampRGB(x) {
    x = Math.max(0, Math.min(1, x)) * (RAMP.length - 1);
    var k = Math.min(RAMP.length - 2, Math.floor(x)), f = x - k, a = RAMP[k], b = RAMP[k + 1];
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
  }

  function fmt(q) { return (q / SCALE).toFixed(3); }

  function quote(t) { return "'" + t + "'"; }

  /* Layers, heads and token positions are shown numbered from 1, as the report's figures number them;
     the code and the data-* attributes keep 0-based indices. */
  function n1(k) { return String(k + 1); }

  /* Token i as the readout names it: a token that occurs more than once carries its position, 'the#6'. */
  function tokName(m, i) { return m.repeated[m.tokens[i]] ? m.tokens[i] + '#' + n1(i) : m.tokens[i]; }

  // ---------------------------------------------------------------- data

  function base64Bytes(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
    return out;
  }

  function inflate(bytes) {
    if (typeof DecompressionStream === 'undefined') {
      return Promise.reject(new Error('this explorer\'s data is compressed and this browser cannot inflate it ' +
        '(it needs DecompressionStream: Chrome 80+, Firefox 113+, Safari 16.4+)'));
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Response(stream).arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
  }

  function unpack(bytes, n) {
    var q = new Uint16Array(n), p = 0, k = 0;
    while (k < n && p < bytes.length) {
      var b = bytes[p++];
      q[k++] = b < 128 ? b : ((b & 0x7f) << 7) | bytes[p++];
    }
    if (k !== n || p !== bytes.length) {
      throw new Error('weights: expected ' + n + ' values, the data holds a different number');
    }
    return q;
  }

  function loadModel(raw) {
    var L = raw.shape[0], H = raw.shape[1], T = raw.shape[2], n = L * H * T * T;
    if (raw.codec !== 'q1000' && raw.codec !== 'q1000+zlib') {
      return Promise.reject(new Error('unknown codec ' + raw.codec));
    }
    var bytes = base64Bytes(raw.weights);
    var ready = raw.codec === 'q1000+zlib' ? inflate(bytes) : Promise.resolve(bytes);
    return ready.then(function (b) {
      var q = unpack(b, n);
      var seen = {}, repeated = {};
      raw.tokens.forEach(function (t) { if (seen[t]) repeated[t] = true; seen[t] = true; });
      return {
        title: raw.title, tokens: raw.tokens, L: L, H: H, T: T, q: q, repeated: repeated,
        roles: raw.roles, notes: raw.notes, initial: raw.initial || {},
        detectors: raw.detectors || null, attribution: raw.attribution || null,
        exportTitle: raw.export_title || raw.title || '', answer: raw.answer || {},
        // quantised weight of query i -> key j in layer l, head h
        at: function (l, h, i, j) { return q[((l * H + h) * T + i) * T + j]; }
      };
    });
  }

  // ---------------------------------------------------------------- small helpers

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function attrs(e, a) {
    for (var k in a) if (Object.prototype.hasOwnProperty.call(a, k)) e.setAttribute(k, a[k]);
    return e;
  }

  /* A label in both languages: the page shows one (html[data-lang="zh-CN"] the Chinese, any other page the
     English), as the report does for its own words. */
  function bi(en, zh) {
    var f = document.createDocumentFragment();
    f.append(attrs(el('span', null, en), {lang: 'en'}), attrs(el('span', null, zh), {lang: 'zh-CN'}));
    return f;
  }

  /* Whether the page shows Chinese (the report's language switch sets html[data-lang]). */
  function zhPage() { return document.documentElement.getAttribute('data-lang') === 'zh-CN'; }

  /* One string in the page's language, for what cannot hold two (attributes, options, exported images). */
  function tr(en, zh) { return zhPage() ? zh : en; }

  /* A head's role label in Chinese: the words of head_roles_labels, special tokens as they are. */
  var ROLE_ZH = {prev: '前一个', next: '后一个', self: '自身', broad: '分散', entropy: '熵'};
  function roleZh(text) {
    return String(text || '').replace(/\b(prev|next|self|broad|entropy)\b/g, function (w) { return ROLE_ZH[w]; })
      .replace(/, /g, '、');
  }

  /* A folded "how to use" note in both languages: open it once, and it stays out of the way. */
  function helpNote(en, zh) {
    var d = el('details', 'ax-help');
    var sum = el('summary');
    sum.appendChild(bi('how to use', '使用方法'));
    d.append(sum, attrs(el('p', null, en), {lang: 'en'}), attrs(el('p', null, zh), {lang: 'zh-CN'}));
    return d;
  }

  /* Text and a nested element in both languages: bi() with child nodes instead of strings. */
  function biNodes(en, zh) {
    var f = document.createDocumentFragment(), a = attrs(el('span'), {lang: 'en'}), b = attrs(el('span'), {lang: 'zh-CN'});
    a.append.apply(a, en);
    b.append.apply(b, zh);
    f.append(a, b);
    return f;
  }

  /* A row of buttons that is one tab stop: Tab enters at the button last used, arrows move along. */
  function rovingRow(container) {
    var items = Array.prototype.slice.call(container.querySelectorAll('button'));
    items.forEach(function (b, k) { b.tabIndex = k === 0 ? 0 : -1; });
    container.addEventListener('keydown', function (ev) {
      var k = items.indexOf(document.activeElement);
      var step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[ev.key];
      if (k < 0 || !step) return;
      ev.preventDefault();
      var next = items[clamp(k + step, 0, items.length - 1)];
      items[k].tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    });
  }

  function clamp(x, lo, hi) { return Math.max(lo, Math.min(hi, x)); }

  /* A canvas whose backing store has ratio device pixels per CSS pixel, capped so that no side
     exceeds maxSide (browsers refuse very large canvases; a 256-token map stays within limits). */
  function sizeCanvas(c, w, h, maxSide) {
    var ratio = Math.min(window.devicePixelRatio || 1, 2, (maxSide || 8192) / Math.max(w, h, 1));
    c.width = Math.max(1, Math.round(w * ratio));
    c.height = Math.max(1, Math.round(h * ratio));
    c.style.width = w + 'px';
    c.style.height = h + 'px';
    var ctx = c.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  /* The text cut with an ellipsis to fit maxW pixels in the context's current font. */
  function fitText(ctx, text, maxW) {
    if (ctx.measureText(text).width <= maxW) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + '…').width <= maxW) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  }

  function downloadBlob(blob, name) {
    var url = URL.createObjectURL(blob), a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 2000);
  }

  function download(canvas, name) {
    canvas.toBlob(function (blob) { downloadBlob(blob, name); }, 'image/png');
  }

  /* Words of `text` in lines no wider than maxW pixels. */
  function wrapText(text, font, maxW) {
    var lines = [], line = '';
    text.split(' ').forEach(function (word) {
      var next = line ? line + ' ' + word : word;
      if (line && textWidth(next, font) > maxW) { lines.push(line); line = word; } else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }

  var measureCtx = null;
  function textWidth(text, font) {
    measureCtx = measureCtx || document.createElement('canvas').getContext('2d');
    measureCtx.font = font;
    return measureCtx.measureText(text).width;
  }

  /* One head's map as a T x T image (one pixel per weight), to be scaled onto thumbnails, the large
     map and exported images. */
  function heatImage(m, l, h) {
    var c = document.createElement('canvas');
    c.width = m.T;
    c.height = m.T;
    var ctx = c.getContext('2d'), img = ctx.createImageData(m.T, m.T), d = img.data;
    var base = (l * m.H + h) * m.T * m.T;
    for (var k = 0; k < m.T * m.T; k++) {
      var rgb = rampRGB(Math.sqrt(m.q[base + k] / SCALE));
      d[4 * k] = rgb[0]; d[4 * k + 1] = rgb[1]; d[4 * k + 2] = rgb[2]; d[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return c;
  }

  /* Draw a T x T heat image into a box, crisp when enlarged and averaged when reduced. */
  function drawHeat(ctx, img, x, y, size) {
    ctx.imageSmoothingEnabled = size < img.width;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, x, y, size, size);
  }

  // ---------------------------------------------------------------- the explorer

  function Explorer(root, m) {
    this.root = root;
    this.m = m;
    this.i18n = [];   // [element, attribute, English, Chinese]: set again when the page changes language
    var init = m.initial;
    this.s = {
      view: 'head',
      layer: clamp(init.layer | 0, 0, m.L - 1),
      visible: [],
      pin: null,      // {side: 'q' | 'k', i}: a clicked / Enter-ed token (query side or key side)
      hover: null,    // the token under the pointer or keyboard focus
      minW: 0.01,     // lines and bars below this weight are not drawn
      topK: m.T <= 32 ? 0 : 3,  // lines per token when none is selected (0: all)
      detail: null,   // {l, h}: the map opened large in the model view
      cursor: null,   // {i, j}: the cell under the pointer / keyboard cursor in the large map
      detector: m.detectors && m.detectors.previous_token ? 'previous_token' : '',  // marked on the model view
      attrTok: null   // the token under the pointer in the attribution view
    };
    for (var h = 0; h < m.H; h++) this.s.visible.push(!init.heads || init.heads.indexOf(h) >= 0);
    if (typeof init.token === 'number') this.s.pin = {side: 'q', i: clamp(init.token, 0, m.T - 1)};
    this.build();
    this.layoutHead();
    this.renderHead();
    if (init.view === 'model') this.setView('model');  // an explorer may open on its model view
    var self = this;
    if (typeof MutationObserver !== 'undefined') {  // the report's language switch: attributes and readouts follow
      new MutationObserver(function () { self.relang(); }).observe(document.documentElement,
        {attributes: true, attributeFilter: ['data-lang']});
    }
  }

  /* An attribute in the page's language, kept up to date when the language changes. */
  Explorer.prototype.tattr = function (e, name, en, zh) {
    this.i18n.push([e, name, en, zh]);
    if (name === 'text') e.textContent = tr(en, zh); else e.setAttribute(name, tr(en, zh));
    return e;
  };

  Explorer.prototype.relang = function () {
    this.i18n.forEach(function (x) {
      if (x[1] === 'text') x[0].textContent = tr(x[2], x[3]); else x[0].setAttribute(x[1], tr(x[2], x[3]));
    });
    this.updateLegend();
    this.renderHead();
    if (this.gridBuilt) this.gridTitles();
    if (this.s.view !== 'head') this.renderReadout();
  };

  Explorer.prototype.activeHeads = function () {
    var out = [];
    for (var h = 0; h < this.m.H; h++) if (this.s.visible[h]) out.push(h);
    return out;
  };

  /* The explorer's elements: toolbar, head-view controls, model-view controls, then a body with the
     head view, the model view and the readout side by side (wrapping on narrow screens). */
  Explorer.prototype.build = function () {
    var self = this, root = this.root;
    root.style.setProperty('--ax-row', ROW + 'px');
    var bar = this.buildToolbar();
    this.buildHeadControls();
    this.buildModelControls();
    this.body = el('div', 'ax-body');
    this.buildHeadView();
    this.modelArea = el('div', 'ax-modelarea');
    this.modelArea.hidden = true;
    this.gridWrap = el('div', 'ax-gridwrap');
    this.grid = this.tattr(attrs(el('div', 'ax-grid'), {role: 'group'}), 'aria-label', 'attention maps, layers by heads',
      '注意力图，按层和头排列');
    this.gridWrap.appendChild(this.grid);
    this.detail = el('div', 'ax-detail');
    this.detail.hidden = true;
    this.modelArea.append(this.gridWrap, this.detail);
    this.readout = attrs(el('div', 'ax-readout'), {'aria-live': 'polite'});
    this.attrArea = el('div', 'ax-attrarea');
    this.attrArea.hidden = true;
    this.body.append(this.scroll, this.modelArea, this.attrArea, this.readout);
    root.append(bar, this.headPanel, this.modelPanel, this.body);
    var steps = root.querySelector('.ax-steps');  // the head's step-through (steps.js) stays below the views
    if (steps) root.appendChild(steps);
    // Escape anywhere in the explorer closes a map opened large (tokens use it to clear the selection)
    root.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && self.s.detail) {
        ev.preventDefault();
        self.closeDetail();
      }
    });
    this.updateLegend();

    if (typeof ResizeObserver !== 'undefined') {
      var lastW = -1, pending = false;
      new ResizeObserver(function () {
        if (pending) return;
        pending = true;
        requestAnimationFrame(function () {
          pending = false;
          var w = self.body.clientWidth;
          if (w === lastW) return;
          lastW = w;
          self.layoutHead();
          self.renderHead();
          if (self.gridBuilt && !self.modelArea.hidden) self.sizeGrid();
        });
      }).observe(this.body);
    }
  };

  /* View tabs, layer, PNG export. */
  Explorer.prototype.buildToolbar = function () {
    var self = this, m = this.m;
    var bar = el('div', 'ax-toolbar');
    var tabs = this.tattr(attrs(el('div', 'ax-tabs'), {role: 'tablist'}), 'aria-label', 'view', '视图');
    this.tabHead = attrs(el('button', 'ax-tab'), {type: 'button', role: 'tab', 'aria-selected': 'true'});
    this.tabHead.appendChild(bi('Head view', '头视图'));
    this.tabModel = attrs(el('button', 'ax-tab'), {type: 'button', role: 'tab', 'aria-selected': 'false',
      tabindex: '-1'});
    this.tabModel.appendChild(bi('Model view', '模型视图'));
    tabs.append(this.tabHead, this.tabModel);
    this.tabs = {head: this.tabHead, model: this.tabModel};
    if (m.attribution) {  // the sentence shaded by each attribution method, beside erasure
      this.tabAttr = attrs(el('button', 'ax-tab ax-tab-attr'), {type: 'button', role: 'tab', 'aria-selected': 'false',
        tabindex: '-1'});
      this.tabAttr.appendChild(bi('Attribution', '归因'));
      tabs.appendChild(this.tabAttr);
      this.tabs.attribution = this.tabAttr;
      this.tabAttr.addEventListener('click', function () { self.setView('attribution'); });
    }
    this.tabHead.addEventListener('click', function () { self.setView('head'); });
    this.tabModel.addEventListener('click', function () { self.setView('model'); });
    tabs.addEventListener('keydown', function (ev) {  // the tab pattern: arrows move between the views
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      ev.preventDefault();
      var order = Object.keys(self.tabs), k = order.indexOf(self.s.view);
      var next = order[(k + (ev.key === 'ArrowRight' ? 1 : order.length - 1)) % order.length];
      self.setView(next);
      self.tabs[next].focus();
    });
    this.layerLabel = el('label');
    this.layerLabel.append(bi('layer', '层'), ' ');
    this.layerSel = this.tattr(el('select', 'ax-layer'), 'aria-label', 'layer', '层');
    for (var l = 0; l < m.L; l++) {  // shown and valued from 1
      var o = el('option', null, n1(l));
      o.value = n1(l);
      this.layerSel.appendChild(o);
    }
    this.layerSel.value = n1(this.s.layer);
    this.layerSel.addEventListener('change', function () { self.setLayer(+self.layerSel.value - 1); });
    this.layerLabel.appendChild(this.layerSel);
    var png = this.tattr(attrs(el('button', 'ax-btn ax-png'), {type: 'button'}), 'title',
      'save the current view as a PNG image', '把当前视图存为 PNG 图片');
    png.appendChild(bi('Download PNG', '下载 PNG'));
    png.addEventListener('click', function () { self.exportPNG(); });
    var svg = this.tattr(attrs(el('button', 'ax-btn ax-svg'), {type: 'button'}), 'title',
      'save the current view as an SVG image', '把当前视图存为 SVG 图片');
    svg.appendChild(bi('Download SVG', '下载 SVG'));
    svg.addEventListener('click', function () { self.exportSVG(); });
    bar.append(tabs, this.layerLabel, png, svg);
    this.exportBtns = [png, svg];

    return bar;
  };

  /* The heads' legend (a toggle per head in its colour, with its role), direction and thresholds. */
  Explorer.prototype.buildHeadControls = function () {
    var self = this, m = this.m;
    this.headPanel = el('div', 'ax-headpanel');
    this.legend = this.tattr(attrs(el('div', 'ax-heads'), {role: 'toolbar'}), 'aria-label', 'heads shown', '显示的头');
    this.headBtns = [];
    for (var h = 0; h < m.H; h++) {
      var b = attrs(el('button', 'ax-headbtn'), {type: 'button', 'data-h': String(h)});
      var sw = el('span', 'ax-sw');
      sw.style.background = headColor(h);
      sw.style.borderColor = headColor(h);
      b.append(sw, el('span', 'ax-hname', 'H' + n1(h)), el('span', 'ax-role'));
      this.tattr(b, 'aria-label', 'head ' + n1(h), '第 ' + n1(h) + ' 个头');
      b.addEventListener('click', function (ev) {
        var hh = +this.getAttribute('data-h');
        if (ev.shiftKey || ev.altKey) self.soloHead(hh); else self.toggleHead(hh);
      });
      b.addEventListener('dblclick', function () { self.soloHead(+this.getAttribute('data-h')); });
      b.addEventListener('mouseenter', function () { self.showHeadNote(+this.getAttribute('data-h')); });
      b.addEventListener('focus', function () { self.showHeadNote(+this.getAttribute('data-h')); });
      this.headBtns.push(b);
      this.legend.appendChild(b);
    }
    var all = this.tattr(attrs(el('button', 'ax-btn'), {type: 'button'}), 'title', 'show every head', '显示所有头');
    all.appendChild(bi('all', '全部'));
    var none = this.tattr(attrs(el('button', 'ax-btn'), {type: 'button'}), 'title', 'hide every head', '隐藏所有头');
    none.appendChild(bi('none', '全不显示'));
    all.addEventListener('click', function () { self.setVisible(function () { return true; }); });
    none.addEventListener('click', function () { self.setVisible(function () { return false; }); });
    this.legend.append(all, none);
    rovingRow(this.legend);

    var controls = el('div', 'ax-toolbar');
    this.dirBtn = this.tattr(attrs(el('button', 'ax-btn ax-dir'), {type: 'button'}), 'title',
      'show what attends to the selected token instead of where it attends, or back',
      '改为显示哪些词元看向选中的词元，而不是它看向哪里；再按一次换回');
    this.dirBtn.append('⇄ ', bi('swap direction', '反转方向'));
    this.dirBtn.addEventListener('click', function () { self.swapDirection(); });
    var minLabel = el('label');
    minLabel.append(bi('min weight', '最小权重'), ' ');
    this.minInput = attrs(el('input'), {type: 'number', min: '0', max: '1', step: '0.01', value: String(this.s.minW)});
    this.minInput.addEventListener('input', function () {
      var v = parseFloat(self.minInput.value);
      if (isFinite(v)) { self.s.minW = clamp(v, 0, 1); self.renderHead(); }
    });
    minLabel.appendChild(this.minInput);
    var topLabel = this.tattr(el('label'), 'title', 'when no token is selected: the strongest k keys of each query',
      '没有选中词元时：每个查询只画最强的 k 个键');
    topLabel.append(bi('lines per token', '每个词元的连线数'), ' ');
    this.topSel = this.tattr(el('select', 'ax-topk'), 'aria-label', 'lines per token when no token is selected',
      '没有选中词元时每个词元的连线数');
    [0, 1, 2, 3, 5, 10].forEach(function (k) {
      if (k >= m.T) return;
      var o = el('option', null, k ? String(k) : tr('all', '全部'));
      if (!k) self.i18n.push([o, 'text', 'all', '全部']);
      o.value = String(k);
      self.topSel.appendChild(o);
    });
    this.topSel.value = String(this.s.topK);
    this.topSel.addEventListener('change', function () {
      self.s.topK = +self.topSel.value;
      self.renderHead();
    });
    topLabel.appendChild(this.topSel);
    controls.append(this.dirBtn, minLabel, topLabel);
    var step = this.tattr(attrs(el('div', 'ax-step'), {role: 'group'}), 'aria-label',
      'step through the heads, one at a time', '逐个查看各个头');
    this.prevBtn = this.tattr(this.tattr(attrs(el('button', 'ax-btn ax-prev'), {type: 'button'}), 'aria-label',
      'previous head', '上一个头'), 'title', 'show the previous head alone (← on these buttons)',
      '只显示上一个头（在这两个按钮上按 ←）');
    this.prevBtn.append('◀ ', bi('previous head', '上一个头'));
    this.nextBtn = this.tattr(this.tattr(attrs(el('button', 'ax-btn ax-next'), {type: 'button'}), 'aria-label',
      'next head', '下一个头'), 'title', 'show the next head alone (→ on these buttons)',
      '只显示下一个头（在这两个按钮上按 →）');
    this.nextBtn.append(bi('next head', '下一个头'), ' ▶');
    this.stepLabel = attrs(el('span', 'ax-steplabel'), {'aria-live': 'polite'});
    this.prevBtn.addEventListener('click', function () { self.stepHead(-1); });
    this.nextBtn.addEventListener('click', function () { self.stepHead(1); });
    step.addEventListener('keydown', function (ev) {
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      ev.preventDefault();
      self.stepHead(ev.key === 'ArrowLeft' ? -1 : 1);
    });
    step.append(this.prevBtn, this.nextBtn, this.stepLabel);
    controls.appendChild(step);
    // the coloured tokens: the sentence, each token shaded by the attention of the selected token
    this.sentence = attrs(el('div', 'ax-sentence'), {'aria-live': 'polite'});
    this.sentenceTitle = el('div', 'ax-stitle');
    this.sentenceToks = el('div', 'ax-stoks');
    this.sentence.append(this.sentenceTitle, this.sentenceToks);
    var help = helpNote('Hover, tap or focus a token: on the left, where it attends; on the right, what ' +
      'attends to it (line and bar opacity = weight). Click or Enter pins it; then hover the other column for ' +
      'exact weights. Arrow keys move between tokens (left / right: to the other column), Esc clears. Click a ' +
      'head to hide it, shift-click or double-click to show it alone (arrow keys move along the heads). With ' +
      'long inputs and no token selected, only the strongest lines of each token are drawn (lines per token).',
      '把指针移到某个词元上（或点按、用键盘选中它）：左栏显示它看向哪里，右栏显示哪些词元看向它（连线和竖条的不透明度即权重）。'
      + '单击或按回车可以固定它，再把指针移到另一栏就能读出确切的权重。方向键在词元之间移动（左右键换到另一栏），Esc 取消选择。'
      + '单击某个头可以隐藏它，按住 Shift 单击或双击则只显示这个头（方向键在各个头之间移动）。输入较长且没有选中词元时，'
      + '每个词元只画最强的几条连线（见“每个词元的连线数”）。');
    this.headPanel.append(this.legend, controls, this.sentence, help);

  };

  /* The colour scale of the maps and how to use them. */
  Explorer.prototype.buildModelControls = function () {
    this.modelPanel = el('div', 'ax-modelpanel');
    this.modelPanel.hidden = true;
    var legendRamp = el('div', 'ax-legend');
    var rampCanvas = document.createElement('canvas');
    var rctx = sizeCanvas(rampCanvas, 120, 10);
    for (var x = 0; x < 120; x++) {
      var rgb = rampRGB(x / 119);
      rctx.fillStyle = 'rgb(' + rgb.map(Math.round).join(',') + ')';
      rctx.fillRect(x, 0, 1.5, 10);
    }
    rampCanvas.style.border = '1px solid #d1d9e0';
    legendRamp.append(el('span', null, '0'), rampCanvas, el('span', null, '1'),
      bi('(colour: √weight; rows: queries, columns: keys)', '（颜色：√权重；行：查询，列：键）'));
    var self = this, m = this.m, dets = m.detectors || {};
    this.detSel = null;
    if (Object.keys(dets).length) {  // the head detectors' scores, marked on the heads
      var detLabel = this.tattr(el('label', 'ax-detlabel'), 'title',
        'each head\'s attention mass where the role would send it (1: all of it), averaged over the queries that ' +
        'have such a key', '每个头放在该角色应看位置上的注意力（1 表示全部），对有这种键的查询取平均');
      detLabel.append(bi('mark heads', '标出头'), ' ');
      this.detSel = this.tattr(el('select', 'ax-detector'), 'aria-label', 'mark heads by a detector', '按检测器标出头');
      [''].concat(DETECTORS).forEach(function (k) {
        var names = k ? DETECTOR_NAMES[k] : ['none', '不标'];
        var missing = k && !dets[k];
        var en = names[0] + (missing ? ' (no repeated token)' : ''), zh = names[1] + (missing ? '（没有重复的词元）' : '');
        var o = el('option', null, tr(en, zh));
        o.value = k;
        o.disabled = !!missing;
        self.i18n.push([o, 'text', en, zh]);
        self.detSel.appendChild(o);
      });
      this.detSel.value = this.s.detector;
      this.detSel.addEventListener('change', function () {
        self.s.detector = self.detSel.value;
        self.markDetector();
      });
      detLabel.appendChild(this.detSel);
      legendRamp.appendChild(detLabel);
    }
    this.modelPanel.append(legendRamp, helpNote('All layers × heads. Click a map (or focus it and press Enter) ' +
      'to open it large with its tokens; hover it or use the arrow keys there for the weights; Esc goes back. ' +
      'Arrow keys move between the small maps. "Mark heads" writes a detector\'s score under each map and frames ' +
      'the heads that score at least 0.5: previous-token (the key just before the query), duplicate-token ' +
      '(earlier copies of the query\'s token), induction (the token after an earlier copy; Olsson et al. 2022).',
      '所有层 × 所有头。单击某张小图（或选中它后按回车）可以放大它并标出词元；在大图上移动指针或用方向键读出权重；Esc 返回。'
      + '方向键在小图之间移动。“标出头”在每张小图下写出一个检测器的分数，并给分数不低于 0.5 的头加框：前一词元（查询正前方的键）、'
      + '重复词元（与查询相同的更早词元）、归纳（更早出现的同一词元之后的那个词元；Olsson 等人 2022）。'));

  };

  /* Query tokens | bars | line canvas | bars | key tokens; each token a button, each bar one head. */
  Explorer.prototype.buildHeadView = function () {
    var self = this, m = this.m;
    this.scroll = el('div', 'ax-scroll');
    this.hv = el('div', 'ax-hv');
    this.cols = {q: el('div', 'ax-col ax-left'), k: el('div', 'ax-col ax-right')};
    this.cols.q.appendChild(el('div', 'ax-colhead ax-left')).appendChild(bi('query (attends →)', '查询（看向 →）'));
    this.cols.k.appendChild(el('div', 'ax-colhead')).appendChild(bi('→ key (attended)', '→ 键（被看）'));
    this.toks = {q: [], k: []};
    this.bars = {q: [], k: []};
    var specials = /^(\[[A-Z]+\]|<\/?[a-z|]+>|<\|[a-z]+\|>)$/;
    ['q', 'k'].forEach(function (side) {
      for (var i = 0; i < m.T; i++) {
        var row = attrs(el('div', 'ax-rowline'), {'data-side': side, 'data-i': String(i)});
        var t = m.tokens[i];
        var tok = attrs(el('button', 'ax-tok', t === '' ? ' ' : t), {type: 'button', tabindex: i === 0 ? '0' : '-1',
          'data-side': side, 'data-i': String(i)});
        self.tattr(tok, 'title', t + ' (token ' + n1(i) + ' of ' + m.T + ')', t + '（第 ' + n1(i) + ' 个词元，共 ' + m.T + ' 个）');
        self.tattr(tok, 'aria-label', (side === 'q' ? 'query ' : 'key ') + n1(i) + ': ' + t,
          (side === 'q' ? '查询 ' : '键 ') + n1(i) + '：' + t);
        if (specials.test(t)) tok.classList.add('ax-special');
        var bars = el('div', 'ax-bars'), list = [];
        for (var h = 0; h < m.H; h++) {
          var b = attrs(el('span', 'ax-bar'), {'data-h': String(h)});
          b.style.background = headColor(h);
          bars.appendChild(b);
          list.push(b);
        }
        if (side === 'q') row.append(tok, bars); else row.append(bars, tok);
        self.cols[side].appendChild(row);
        self.toks[side].push(tok);
        self.bars[side].push(list);
      }
    });
    this.linesWrap = el('div', 'ax-lines');
    this.linesWrap.appendChild(el('div', 'ax-lines-head'));
    this.canvas = attrs(document.createElement('canvas'), {'aria-hidden': 'true'});
    this.linesWrap.appendChild(this.canvas);
    this.hv.append(this.cols.q, this.linesWrap, this.cols.k);
    this.scroll.appendChild(this.hv);
    this.bindTokens();

  };

  // ---------------------------------------------------------------- head view

  Explorer.prototype.bindTokens = function () {
    var self = this;
    function target(ev) {
      var row = ev.target.closest ? ev.target.closest('.ax-rowline') : null;
      return row ? {side: row.getAttribute('data-side'), i: +row.getAttribute('data-i')} : null;
    }
    this.hv.addEventListener('mouseover', function (ev) {
      var t = target(ev);
      if (t) self.setHover(t);
    });
    this.hv.addEventListener('mouseleave', function () {
      // back to the keyboard's token, if a token has the focus, else to the pinned one (or none)
      var f = document.activeElement;
      self.setHover(f && self.hv.contains(f) && f.classList.contains('ax-tok') ?
        {side: f.getAttribute('data-side'), i: +f.getAttribute('data-i')} : null);
    });
    this.hv.addEventListener('click', function (ev) {
      var t = target(ev);
      if (t) self.togglePin(t);
    });
    this.hv.addEventListener('focusin', function (ev) {
      var t = target(ev);
      if (!t) return;
      // roving tab stop: Tab enters a column at the token last focused there
      self.toks[t.side].forEach(function (b, i) { b.tabIndex = i === t.i ? 0 : -1; });
      self.setHover(t);
    });
    this.hv.addEventListener('focusout', function (ev) {
      if (!ev.relatedTarget || !self.hv.contains(ev.relatedTarget)) self.setHover(null);
    });
    this.hv.addEventListener('keydown', function (ev) {
      var t = target(ev);
      if (!t) return;
      var T = self.m.T, i = t.i, side = t.side;
      switch (ev.key) {
        case 'ArrowDown': i = Math.min(T - 1, i + 1); break;
        case 'ArrowUp': i = Math.max(0, i - 1); break;
        case 'PageDown': i = Math.min(T - 1, i + 10); break;
        case 'PageUp': i = Math.max(0, i - 10); break;
        case 'Home': i = 0; break;
        case 'End': i = T - 1; break;
        case 'ArrowLeft': side = 'q'; break;
        case 'ArrowRight': side = 'k'; break;
        case 'Escape': self.s.pin = null; self.renderHead(); ev.preventDefault(); return;
        default: return;
      }
      ev.preventDefault();
      self.toks[side][i].focus();
    });
  };

  Explorer.prototype.setHover = function (t) {
    var h = this.s.hover;
    if ((h === null && t === null) || (h && t && h.side === t.side && h.i === t.i)) return;
    this.s.hover = t;
    this.renderHead();
  };

  Explorer.prototype.togglePin = function (t) {
    var p = this.s.pin;
    this.s.pin = p && p.side === t.side && p.i === t.i ? null : t;
    this.renderHead();
  };

  Explorer.prototype.swapDirection = function () {
    var p = this.s.pin;
    if (!p) return;
    this.s.pin = {side: p.side === 'q' ? 'k' : 'q', i: p.i};
    this.s.hover = null;
    this.renderHead();
  };

  Explorer.prototype.setLayer = function (l) {
    this.s.layer = clamp(l, 0, this.m.L - 1);
    this.layerSel.value = n1(this.s.layer);
    this.updateLegend();
    this.renderHead();
    if (this.gridBuilt) this.markLayer();
  };

  Explorer.prototype.toggleHead = function (h) {
    this.s.visible[h] = !this.s.visible[h];
    this.updateLegend();
    this.renderHead();
  };

  Explorer.prototype.soloHead = function (h) {
    var alone = this.activeHeads().length === 1 && this.s.visible[h];
    this.setVisible(function (k) { return alone || k === h; });
  };

  Explorer.prototype.setVisible = function (f) {
    for (var h = 0; h < this.m.H; h++) this.s.visible[h] = !!f(h);
    this.updateLegend();
    this.renderHead();
  };

  Explorer.prototype.updateLegend = function () {
    var s = this.s, m = this.m, self = this;
    this.headBtns.forEach(function (b, h) {
      var role = m.roles[s.layer][h], r = b.querySelector('.ax-role');
      b.setAttribute('aria-pressed', s.visible[h] ? 'true' : 'false');
      r.textContent = '';
      if (role) r.appendChild(bi(role, roleZh(role)));
      b.title = tr('layer ' + n1(s.layer) + ' head ' + n1(h) + (role ? ' (' + role + ')' : '') + ': ' +
        m.notes[s.layer][h] + self.detectorText(s.layer, h, 'en') + '. Click to ' + (s.visible[h] ? 'hide' : 'show') +
        ', shift-click to show only this head.',
        '第 ' + n1(s.layer) + ' 层第 ' + n1(h) + ' 个头' + (role ? '（' + roleZh(role) + '）' : '') + '：' +
        roleZh(m.notes[s.layer][h]) + self.detectorText(s.layer, h, 'zh') + '。单击' + (s.visible[h] ? '隐藏' : '显示') +
        '，按住 Shift 单击则只显示这个头。');
    });
    ['q', 'k'].forEach(function (side) {
      self.bars[side].forEach(function (list) {
        list.forEach(function (b, h) { b.classList.toggle('ax-off', !s.visible[h]); });
      });
    });
  };

  Explorer.prototype.barWidth = function () {
    var w = this.body.clientWidth;
    return w < 400 ? 2 : w < 560 ? 3 : 5;  // a phone: thinner bars, so that both token columns fit
  };

  /* Column, bar and line widths from the space available, so that the head view fits a narrow page. */
  Explorer.prototype.layoutHead = function () {
    var m = this.m, bodyW = this.body.clientWidth || 800;
    var longest = 0;
    for (var i = 0; i < m.T; i++) longest = Math.max(longest, textWidth(m.tokens[i], TOKEN_FONT));
    var colW = Math.ceil(clamp(longest + 14, 40, Math.max(60, Math.min(170, bodyW * 0.22))));
    var bw = this.barWidth(), barsW = m.H * (bw + 1) + 4;
    var self = this;
    ['q', 'k'].forEach(function (side) {
      self.toks[side].forEach(function (t) { t.style.width = colW + 'px'; t.style.flex = 'none'; });
      self.bars[side].forEach(function (list) {
        list.forEach(function (b) { b.style.width = bw + 'px'; });
        list[0].parentNode.style.width = barsW + 'px';
      });
    });
    this.linesW = clamp(bodyW - 2 * (colW + barsW) - 14, bodyW < 400 ? 36 : 60, 320);
    sizeCanvas(this.canvas, this.linesW, m.T * ROW, 16000);
  };

  /* What the head view shows now: the source token (pinned, or hovered / focused), and the token
     hovered in the other column while one is pinned (a pair whose weights the readout lists). */
  Explorer.prototype.focusState = function () {
    var p = this.s.pin, h = this.s.hover;
    if (p && h && h.side !== p.side) return {src: p, target: h.i};
    return {src: h || p, target: null};
  };

  /* Weight (quantised) between the source token and token r of the other column. */
  Explorer.prototype.weight = function (l, h, src, r) {
    return src.side === 'q' ? this.m.at(l, h, src.i, r) : this.m.at(l, h, r, src.i);
  };

  /* Lines of the head view, shared by the page and the PNG export: x0 / x1 are the left and right
     ends, yOf(i) the middle of row i. Opacity is the weight itself. With a token selected, the lines
     of the shown heads leave it together and fan out over the height of each row they reach, so
     that heads pointing at the same token stay side by side instead of hiding one another. */
  Explorer.prototype.drawLines = function (ctx, x0, x1, yOf) {
    var m = this.m, s = this.s, l = s.layer, heads = this.activeHeads(), fs = this.focusState(), T = m.T;
    var minQ = s.minW * SCALE, step = heads.length > 1 ? Math.min(2, (ROW - 6) / (heads.length - 1)) : 0;
    ctx.lineCap = 'round';
    heads.forEach(function (h, n) {
      ctx.strokeStyle = headColor(h);
      if (fs.src) {
        var fan = (n - (heads.length - 1) / 2) * step;
        for (var r = 0; r < T; r++) {
          var q = this.weight(l, h, fs.src, r);
          if (q <= 0 || q < minQ) continue;
          var fromQ = fs.src.side === 'q';
          ctx.globalAlpha = Math.min(1, q / SCALE);
          ctx.lineWidth = fs.target === r ? 3.5 : 2;
          ctx.beginPath();
          ctx.moveTo(x0, fromQ ? yOf(fs.src.i) : yOf(r) + fan);
          ctx.lineTo(x1, fromQ ? yOf(r) + fan : yOf(fs.src.i));
          ctx.stroke();
        }
        return;
      }
      var k = s.topK > 0 && s.topK < T ? s.topK : T;
      for (var i = 0; i < T; i++) {
        var keys = topKeys(m, l, h, i, k);
        for (var n = 0; n < keys.length; n++) {
          var w = m.at(l, h, i, keys[n]);
          if (w <= 0 || w < minQ) continue;
          ctx.globalAlpha = Math.min(1, w / SCALE);
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.moveTo(x0, yOf(i));
          ctx.lineTo(x1, yOf(keys[n]));
          ctx.stroke();
        }
      }
    }, this);
    ctx.globalAlpha = 1;
  };

  /* Indices of the k largest weights of query i (all keys when k >= T). */
  function topKeys(m, l, h, i, k) {
    var T = m.T, out = [];
    if (k >= T) { for (var j = 0; j < T; j++) out.push(j); return out; }
    for (var jj = 0; jj < T; jj++) {
      var w = m.at(l, h, i, jj);
      if (out.length < k || w > m.at(l, h, i, out[out.length - 1])) {
        var p = Math.min(out.length, k - 1);
        while (p > 0 && m.at(l, h, i, out[p - 1]) < w) p--;
        out.splice(p, 0, jj);
        if (out.length > k) out.pop();
      }
    }
    return out;
  }

  Explorer.prototype.renderHead = function () {
    var m = this.m, s = this.s, fs = this.focusState(), l = s.layer, self = this;
    var pin = s.pin;
    ['q', 'k'].forEach(function (side) {
      self.toks[side].forEach(function (t, i) {
        t.classList.toggle('ax-src', !!(fs.src && fs.src.side === side && fs.src.i === i));
        t.classList.toggle('ax-pinned', !!(pin && pin.side === side && pin.i === i));
        t.classList.toggle('ax-target', fs.target === i && fs.src && fs.src.side !== side);
        t.setAttribute('aria-pressed', pin && pin.side === side && pin.i === i ? 'true' : 'false');
      });
    });
    // bars beside the tokens of the other column: one per shown head, opacity = weight
    var other = fs.src ? (fs.src.side === 'q' ? 'k' : 'q') : null;
    ['q', 'k'].forEach(function (side) {
      self.bars[side].forEach(function (list, r) {
        list.forEach(function (b, h) {
          if (side === other && s.visible[h]) {
            var q = self.weight(l, h, fs.src, r);
            b.style.opacity = String(Math.min(1, q / SCALE));
            b.setAttribute('data-w', fmt(q));
          } else if (b.hasAttribute('data-w')) {
            b.style.opacity = '0';
            b.removeAttribute('data-w');
          }
        });
      });
    });
    var ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, this.linesW, m.T * ROW);
    this.drawLines(ctx, 2, this.linesW - 2, function (i) { return i * ROW + ROW / 2; });
    this.renderSentence();
    this.renderStep();
    this.dirBtn.disabled = !pin;
    this.dirBtn.setAttribute('aria-pressed', pin && pin.side === 'k' ? 'true' : 'false');
    this.renderReadout();
  };

  /* One head at a time: with one head shown, the one before or after it (wrapping); with several or none,
     the first (next) or the last (previous) of them. */
  Explorer.prototype.stepHead = function (d) {
    var heads = this.activeHeads(), H = this.m.H, h;
    if (heads.length === 1) h = (heads[0] + d + H) % H;
    else if (heads.length) h = d > 0 ? heads[0] : heads[heads.length - 1];
    else h = d > 0 ? 0 : H - 1;
    this.setVisible(function (k) { return k === h; });
  };

  Explorer.prototype.renderStep = function () {
    var heads = this.activeHeads(), H = this.m.H, l = n1(this.s.layer);
    this.stepLabel.textContent = '';
    if (heads.length === 1) {
      this.stepLabel.append(bi('layer ' + l + ', head ' + n1(heads[0]) + ' of ' + H,
        '第 ' + l + ' 层，第 ' + n1(heads[0]) + ' 个头（共 ' + H + ' 个）'));
    } else {
      this.stepLabel.append(bi('layer ' + l + ', ' + heads.length + ' of ' + H + ' heads shown',
        '第 ' + l + ' 层，显示 ' + heads.length + ' 个头（共 ' + H + ' 个）'));
    }
  };

  /* The coloured tokens: the sentence, each token's background the weight the selected token gives it (or,
     swapped, the weight it gives the selected token), averaged over the heads shown, on the maps' scale. */
  Explorer.prototype.renderSentence = function () {
    var m = this.m, s = this.s, l = s.layer, fs = this.focusState(), heads = this.activeHeads(), self = this;
    var title = this.sentenceTitle, box = this.sentenceToks;
    title.textContent = '';
    box.textContent = '';
    var src = fs.src;
    var which = heads.length === 1 ? 'head ' + n1(heads[0]) : heads.length + ' heads, mean';
    var whichZh = heads.length === 1 ? '第 ' + n1(heads[0]) + ' 个头' : heads.length + ' 个头的平均';
    if (!src || !heads.length) {
      title.append(bi('Coloured tokens: hover, tap or pin a token to shade the sentence by its attention.',
        '着色词元：把指针移到某个词元上（或点按、固定它），句子就按它的注意力着色。'));
    } else {
      var name = quote(tokName(m, src.i));
      title.append(bi('Coloured tokens: ' + (src.side === 'q' ? 'where ' + name + ' attends' : 'what attends to ' +
        name) + ' (layer ' + n1(l) + ', ' + which + ')', '着色词元：' + (src.side === 'q' ? name + ' 看向哪里' :
        '哪些词元看向 ' + name) + '（第 ' + n1(l) + ' 层，' + whichZh + '）'));
    }
    m.tokens.forEach(function (t, r) {
      var span = attrs(el('span', 'ax-ctok', t), {'data-i': String(r)});
      if (src && heads.length) {
        var q = 0;
        heads.forEach(function (h) { q += self.weight(l, h, src, r); });
        q /= heads.length;
        var rgb = rampRGB(Math.sqrt(q / SCALE));
        span.style.background = 'rgb(' + rgb.map(Math.round).join(',') + ')';
        span.style.color = q / SCALE > 0.3 ? '#fff' : '';
        span.setAttribute('data-w', fmt(q));
        span.title = tokName(m, r) + ': ' + fmt(q);
        if (r === src.i) span.classList.add('ax-csrc');
      }
      box.appendChild(span);
    });
  };

  /* The numbers: per shown head, the strongest weights of the source token, or the exact weight of
     each head for the pair under the pointer (in both languages; the page shows one). */
  Explorer.prototype.renderReadout = function () {
    var m = this.m, s = this.s, l = s.layer, ro = this.readout, self = this;
    ro.textContent = '';
    if (s.view === 'model') return this.renderDetailReadout();
    if (s.view === 'attribution') return this.renderAttrReadout();
    var fs = this.focusState(), heads = this.activeHeads();
    if (!fs.src) {
      ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('layer ' + n1(l), '第 ' + n1(l) + ' 层'));
      ro.appendChild(el('div', 'ax-hint')).appendChild(heads.length ?
        bi('Hover or focus a token to see its weights.', '把指针移到某个词元上（或用键盘选中它），就能看到它的权重。') :
        bi('All heads are hidden: click a head above to show it.', '所有头都已隐藏：单击上方的某个头来显示它。'));
      return;
    }
    var src = fs.src, list = el('ul');
    if (fs.target !== null) {
      var qi = src.side === 'q' ? src.i : fs.target, kj = src.side === 'q' ? fs.target : src.i;
      var pair = quote(tokName(m, qi)) + ' → ' + quote(tokName(m, kj));
      ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('layer ' + n1(l) + ': ' + pair,
        '第 ' + n1(l) + ' 层：' + pair));
      heads.forEach(function (h) {
        var q = m.at(l, h, qi, kj);
        var li = attrs(el('li'), {'data-h': String(h), 'data-i': String(qi), 'data-j': String(kj), 'data-w': fmt(q)});
        var sw = el('span', 'ax-sw');
        sw.style.background = headColor(h);
        li.append(sw, bi('layer ' + n1(l) + ' head ' + n1(h) + ': ' + pair + ' ',
          '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头：' + pair + ' '), el('span', 'ax-w', fmt(q)));
        list.appendChild(li);
      });
    } else {
      var name = quote(tokName(m, src.i));
      ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('layer ' + n1(l) + ': ' + (src.side === 'q' ?
        name + ' attends to' : 'what attends to ' + name), '第 ' + n1(l) + ' 层：' + (src.side === 'q' ?
        name + ' 看向' : '看向 ' + name + ' 的词元')));
      heads.forEach(function (h) {
        var li = attrs(el('li'), {'data-h': String(h)}), sw = el('span', 'ax-sw');
        sw.style.background = headColor(h);
        var role = m.roles[l][h];
        li.append(sw, bi('head ' + n1(h) + (role ? ' (' + role + ')' : '') + ': ',
          '第 ' + n1(h) + ' 个头' + (role ? '（' + roleZh(role) + '）' : '') + '：'));
        var best = [];
        for (var r = 0; r < m.T; r++) best.push(r);
        best.sort(function (a, b) { return self.weight(l, h, src, b) - self.weight(l, h, src, a); });
        best.slice(0, 3).forEach(function (r, n) {
          var q = self.weight(l, h, src, r);
          var qi = src.side === 'q' ? src.i : r, kj = src.side === 'q' ? r : src.i;
          var span = attrs(el('span', 'ax-pair'), {'data-i': String(qi), 'data-j': String(kj), 'data-w': fmt(q)});
          span.append(document.createTextNode((n ? ' · ' : '') + tokName(m, r) + ' '), el('span', 'ax-w', fmt(q)));
          li.appendChild(span);
        });
        list.appendChild(li);
      });
    }
    ro.appendChild(list);
    if (!heads.length) ro.appendChild(el('div', 'ax-hint')).appendChild(bi('All heads are hidden.', '所有头都已隐藏。'));
  };

  Explorer.prototype.showHeadNote = function (h) {
    if (this.focusState().src) return;  // token weights take precedence
    this.showNote(this.s.layer, h, '', '');
  };

  /* The detectors' scores of layer l, head h, as a clause of a title ('' without detectors). */
  Explorer.prototype.detectorText = function (l, h, lang) {
    var d = this.m.detectors || {}, parts = [];
    DETECTORS.forEach(function (k) {
      if (d[k]) parts.push(DETECTOR_NAMES[k][lang === 'zh' ? 1 : 0] + ' ' + d[k][l][h].toFixed(2));
    });
    return parts.length ? (lang === 'zh' ? '；检测器：' : '; detectors: ') + parts.join(' · ') : '';
  };

  /* A head's role label, the statistics behind it and its detector scores. */
  Explorer.prototype.showNote = function (l, h, extra, extraZh) {
    var m = this.m, ro = this.readout, role = m.roles[l][h];
    ro.textContent = '';
    ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('layer ' + n1(l) + ' head ' + n1(h) + (role ? ': ' + role :
      ': no role label'), '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头' + (role ? '：' + roleZh(role) : '：没有角色标签')));
    ro.appendChild(el('div')).appendChild(bi(m.notes[l][h], roleZh(m.notes[l][h])));
    var d = this.m.detectors || {}, list = el('ul', 'ax-detlist');
    DETECTORS.forEach(function (k) {
      if (!d[k]) return;
      var li = attrs(el('li'), {'data-detector': k, 'data-score': d[k][l][h].toFixed(3)});
      li.append(bi(DETECTOR_NAMES[k][0] + ' score ', DETECTOR_NAMES[k][1] + '分数 '), el('span', 'ax-w',
        d[k][l][h].toFixed(3)));
      list.appendChild(li);
    });
    if (list.childNodes.length) ro.appendChild(list);
    ro.appendChild(el('div', 'ax-hint')).appendChild(bi('mean weight on the previous / next / same token and on special ' +
      'tokens; entropy normalised to 1 = uniform; a detector score is the mass where its role would attend.' + extra,
      '前一个、后一个、自身词元及特殊词元上的平均权重；熵已归一化，1 表示均匀；检测器分数是该角色应看位置上的注意力。' +
      extraZh));
  };

  // ---------------------------------------------------------------- model view

  Explorer.prototype.setView = function (v) {
    var s = this.s, self = this;
    if (!this.tabs[v]) v = 'head';
    s.view = v;
    var head = v === 'head', model = v === 'model', attr = v === 'attribution';
    Object.keys(this.tabs).forEach(function (k) {
      self.tabs[k].setAttribute('aria-selected', String(k === v));
      self.tabs[k].tabIndex = k === v ? 0 : -1;
    });
    this.headPanel.hidden = !head;
    this.scroll.hidden = !head;
    this.layerLabel.hidden = !head;
    this.modelPanel.hidden = !model;
    this.modelArea.hidden = !model;
    this.attrArea.hidden = !attr;
    this.exportBtns.forEach(function (b) { b.hidden = attr; });  // the attribution view is text: nothing to draw
    if (model && !this.gridBuilt) this.buildGrid();
    else if (model) this.sizeGrid();
    if (attr && !this.attrBuilt) this.buildAttribution();
    this.renderReadout();
  };

  // ---------------------------------------------------------------- attribution view

  /* The sentence shaded once per attribution method (erasure first, the reference): each token's background
     is the magnitude of its score over the largest magnitude among the compared words (special tokens are
     not compared; their shade is capped at the darkest), and each method says its Spearman agreement with
     erasure. The numbers were computed in Python (attnlab.analysis.attribution.sentence_attributions). */
  Explorer.prototype.buildAttribution = function () {
    var m = this.m, a = m.attribution, self = this, area = this.attrArea;
    area.textContent = '';
    var compared = a.compared || m.tokens.map(function (_, i) { return i; }), inCompared = {};
    compared.forEach(function (i) { inCompared[i] = true; });
    var target = a.target || ['', ''];
    var intro = el('p', 'ax-attr-intro');
    intro.appendChild(bi('Each row shades the sentence by one method\'s score (darker: larger magnitude, scaled to ' +
      'the row\'s largest word). ρ: Spearman agreement of the magnitudes with erasure over the ' + compared.length +
      ' words (special tokens, dashed, left out). Explained: ' + target[0] + '.',
      '每一行按一种方法的分数给句子着色（越深表示绝对值越大，以该行最大的词为准）。ρ：在 ' + compared.length +
      ' 个词上（不含虚线框的特殊词元）与擦除的绝对值的斯皮尔曼相关。解释的量：' + (target[1] || target[0]) + '。'));
    area.appendChild(intro);
    var table = attrs(el('div', 'ax-attr-rows'), {role: 'list'});
    ['erasure'].concat(a.methods).forEach(function (method) {
      var scores = method === 'erasure' ? a.erasure : a.scores[method];
      var rho = method === 'erasure' ? null : a.agreement[method];
      var row = attrs(el('div', 'ax-attr-row'), {role: 'listitem', 'data-method': method});
      if (method !== 'erasure') row.setAttribute('data-rho', rho === null || rho === undefined ? '' : String(rho));
      var names = METHOD_NAMES[method] || [method, method];
      var head = el('div', 'ax-attr-name');
      head.appendChild(bi(names[0], names[1]));
      var r = el('span', 'ax-attr-rho');
      if (method === 'erasure') r.appendChild(bi('reference', '参照'));
      else if (rho === null || rho === undefined) r.appendChild(bi('ρ undefined (constant scores)', 'ρ 无定义（分数全相同）'));
      else r.textContent = 'ρ = ' + rho.toFixed(2);
      head.appendChild(r);
      var top = 0;
      compared.forEach(function (i) { top = Math.max(top, Math.abs(scores[i])); });
      var toks = el('div', 'ax-stoks');
      scores.forEach(function (v, i) {
        var x = top > 0 ? Math.min(1, Math.abs(v) / top) : 0;
        var span = attrs(el('span', 'ax-ctok ax-atok', m.tokens[i]), {'data-i': String(i), 'data-s': String(v),
          title: m.tokens[i] + ': ' + v.toPrecision(3)});
        var rgb = rampRGB(Math.sqrt(x));
        span.style.background = 'rgb(' + rgb.map(Math.round).join(',') + ')';
        span.style.color = x > 0.3 ? '#fff' : '';
        if (!inCompared[i]) span.classList.add('ax-notcompared');
        toks.appendChild(span);
      });
      row.append(head, toks);
      table.appendChild(row);
    });
    table.addEventListener('mouseover', function (ev) {
      var t = ev.target.closest ? ev.target.closest('.ax-atok') : null;
      if (!t) return;
      var i = +t.getAttribute('data-i');
      self.s.attrTok = i;
      table.querySelectorAll('.ax-atok').forEach(function (x) {  // the same token in every row
        x.classList.toggle('ax-csrc', +x.getAttribute('data-i') === i);
      });
      self.renderReadout();
    });
    area.appendChild(table);
    this.attrBuilt = true;
  };

  /* The attribution view's numbers: each method's score for the token under the pointer, and the agreements. */
  Explorer.prototype.renderAttrReadout = function () {
    var m = this.m, a = m.attribution, ro = this.readout, i = this.s.attrTok;
    if (i === null) {
      ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('agreement with erasure', '与擦除的一致程度'));
      var ul = el('ul');
      a.methods.forEach(function (method) {
        var rho = a.agreement[method], li = attrs(el('li'), {'data-method': method});
        li.append(bi(METHOD_NAMES[method][0] + ': ', METHOD_NAMES[method][1] + '：'),
          el('span', 'ax-w', rho === null || rho === undefined ? '—' : 'ρ = ' + rho.toFixed(2)));
        ul.appendChild(li);
      });
      ro.appendChild(ul);
      ro.appendChild(el('div', 'ax-hint')).appendChild(bi('Hover a token for every method\'s score.',
        '把指针移到某个词元上，可以看到每种方法给它的分数。'));
      return;
    }
    ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi(quote(tokName(m, i)) + ': each method\'s score',
      quote(tokName(m, i)) + '：各方法的分数'));
    var list = el('ul');
    ['erasure'].concat(a.methods).forEach(function (method) {
      var v = method === 'erasure' ? a.erasure[i] : a.scores[method][i];
      var li = attrs(el('li'), {'data-method': method, 'data-i': String(i), 'data-s': String(v)});
      li.append(bi(METHOD_NAMES[method][0] + ': ', METHOD_NAMES[method][1] + '：'), el('span', 'ax-w', v.toPrecision(3)));
      list.appendChild(li);
    });
    ro.appendChild(list);
  };

  Explorer.prototype.buildGrid = function () {
    var m = this.m, self = this, grid = this.grid;
    grid.textContent = '';
    grid.appendChild(el('span', 'ax-glabel', ''));
    for (var h = 0; h < m.H; h++) {
      var gh = el('span', 'ax-ghead'), sw = el('span', 'ax-sw');
      sw.style.background = headColor(h);
      gh.append(sw, el('span', null, 'H' + n1(h)));
      grid.appendChild(gh);
    }
    this.cells = [];
    var cellNote = function () {
      self.showNote(+this.getAttribute('data-l'), +this.getAttribute('data-h'),
        ' Click or press Enter to open the map.', '单击或按回车打开这张图。');
    };
    for (var l = 0; l < m.L; l++) {
      grid.appendChild(el('span', 'ax-glabel', 'L' + n1(l)));
      for (h = 0; h < m.H; h++) {
        var role = m.roles[l][h];
        var cell = attrs(el('button', 'ax-cell'), {type: 'button', 'data-l': String(l), 'data-h': String(h),
          tabindex: l === 0 && h === 0 ? '0' : '-1'});
        var c = document.createElement('canvas'), rl = el('span', 'ax-role');
        if (role) rl.appendChild(bi(role, roleZh(role))); else rl.textContent = ' ';
        cell.append(c, rl, el('span', 'ax-dscore'));
        cell.addEventListener('click', function () {
          self.openDetail(+this.getAttribute('data-l'), +this.getAttribute('data-h'));
        });
        cell.addEventListener('keydown', function (ev) { self.gridKey(ev, this); });
        cell.addEventListener('mouseenter', cellNote);
        cell.addEventListener('focus', cellNote);
        grid.appendChild(cell);
        this.cells.push(cell);
      }
    }
    this.gridBuilt = true;
    this.gridTitles();
    this.sizeGrid();
    this.markLayer();
    this.markDetector();
  };

  /* Each small map's tooltip and label, in the page's language. */
  Explorer.prototype.gridTitles = function () {
    var m = this.m, self = this;
    this.cells.forEach(function (cell) {
      var l = +cell.getAttribute('data-l'), h = +cell.getAttribute('data-h'), role = m.roles[l][h];
      cell.setAttribute('aria-label', tr('layer ' + n1(l) + ' head ' + n1(h) + (role ? ', ' + role : '') + ': open large',
        '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头' + (role ? '，' + roleZh(role) : '') + '：放大'));
      cell.title = tr('layer ' + n1(l) + ' head ' + n1(h) + (role ? ' (' + role + ')' : '') + ': ' + m.notes[l][h] +
        self.detectorText(l, h, 'en'), '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头' + (role ? '（' + roleZh(role) + '）' : '') +
        '：' + roleZh(m.notes[l][h]) + self.detectorText(l, h, 'zh'));
    });
  };

  /* The chosen detector's score under each small map; heads scoring at least 0.5 framed in the accent colour. */
  Explorer.prototype.markDetector = function () {
    if (!this.gridBuilt) return;
    var k = this.s.detector, d = (this.m.detectors || {})[k];
    this.grid.setAttribute('data-detector', d ? k : '');
    this.cells.forEach(function (cell) {
      var l = +cell.getAttribute('data-l'), h = +cell.getAttribute('data-h'), badge = cell.querySelector('.ax-dscore');
      if (!d) {
        cell.removeAttribute('data-score');
        cell.classList.remove('ax-dhit');
        badge.textContent = '';
        badge.hidden = true;
        return;
      }
      var v = d[l][h];
      cell.setAttribute('data-score', v.toFixed(3));
      cell.classList.toggle('ax-dhit', v >= 0.5);
      badge.textContent = v.toFixed(2);
      badge.hidden = false;
      badge.style.background = 'rgba(9,105,218,' + Math.min(1, v).toFixed(2) + ')';
      badge.style.color = v > 0.45 ? '#fff' : '';
    });
  };

  Explorer.prototype.gridKey = function (ev, cell) {
    var l = +cell.getAttribute('data-l'), h = +cell.getAttribute('data-h'), m = this.m;
    var moves = {ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0]};
    var d = moves[ev.key];
    if (!d) return;
    ev.preventDefault();
    var nl = clamp(l + d[0], 0, m.L - 1), nh = clamp(h + d[1], 0, m.H - 1), next = this.cells[nl * m.H + nh];
    cell.tabIndex = -1;  // the grid is one tab stop: the arrows move inside it
    next.tabIndex = 0;
    next.focus();
  };

  Explorer.prototype.sizeGrid = function () {
    var m = this.m;
    // row labels, then per head the map, its padding and border, and the grid gap
    var avail = (this.body.clientWidth || 800) - 28;
    var cs = Math.floor(clamp(avail / m.H - 9, 28, 84));
    if (cs === this.cellSize) return;
    this.cellSize = cs;
    this.grid.style.gridTemplateColumns = 'auto repeat(' + m.H + ', ' + (cs + 6) + 'px)';
    for (var l = 0; l < m.L; l++) {
      for (var h = 0; h < m.H; h++) {
        var cell = this.cells[l * m.H + h], c = cell.querySelector('canvas');
        var ctx = sizeCanvas(c, cs, cs);
        drawHeat(ctx, heatImage(m, l, h), 0, 0, cs);
        var role = cell.querySelector('.ax-role');
        role.style.width = cs + 'px';
        role.hidden = cs < 40;  // too small to read: the label stays in the cell's tooltip and the readout
      }
    }
  };

  Explorer.prototype.markLayer = function () {
    var l = this.s.layer;
    this.cells.forEach(function (c) { c.classList.toggle('ax-curlayer', +c.getAttribute('data-l') === l); });
  };

  Explorer.prototype.openDetail = function (l, h) {
    var m = this.m, self = this, d = this.detail;
    this.s.detail = {l: l, h: h};
    this.s.cursor = null;
    this.cells.forEach(function (c, k) { c.tabIndex = k === l * m.H + h ? 0 : -1; });  // back here after Esc
    d.textContent = '';
    var bar = el('div', 'ax-detail-bar');
    var back = attrs(el('button', 'ax-btn ax-back'), {type: 'button'});
    back.append('← ', bi('all maps', '所有图'));
    back.addEventListener('click', function () { self.closeDetail(); });
    var toHead = attrs(el('button', 'ax-btn'), {type: 'button',
      title: tr('open the head view on this layer with only this head shown', '在头视图中打开这一层，只显示这个头')});
    toHead.appendChild(bi('show in head view', '在头视图中显示'));
    toHead.addEventListener('click', function () {
      self.closeDetail(true);
      self.setLayer(l);
      self.setVisible(function (k) { return k === h; });
      self.setView('head');
    });
    var role = m.roles[l][h];
    var dtitle = el('span', 'ax-detail-title'), dmeta = el('span', 'ax-meta');
    dtitle.appendChild(bi('layer ' + n1(l) + ' head ' + n1(h) + (role ? ' (' + role + ')' : ''),
      '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头' + (role ? '（' + roleZh(role) + '）' : '')));
    dmeta.appendChild(bi(m.notes[l][h] + this.detectorText(l, h, 'en'), roleZh(m.notes[l][h]) + this.detectorText(l, h, 'zh')));
    bar.append(back, dtitle, dmeta, toHead);
    var sc = el('div', 'ax-detail-scroll');
    var c = attrs(document.createElement('canvas'), {tabindex: '0', role: 'img',
      'aria-label': tr('attention map of layer ' + n1(l) + ' head ' + n1(h) + '; arrow keys move a cursor, Escape goes back',
        '第 ' + n1(l) + ' 层第 ' + n1(h) + ' 个头的注意力图；方向键移动光标，Esc 返回')});
    sc.appendChild(c);
    d.append(bar, sc);
    this.detailCanvas = c;
    this.detailGeom = this.drawDetailBase(l, h);
    this.paintDetail();
    c.addEventListener('mousemove', function (ev) {
      var r = c.getBoundingClientRect(), g = self.detailGeom;
      var j = Math.floor((ev.clientX - r.left - g.x0) / g.cell), i = Math.floor((ev.clientY - r.top - g.y0) / g.cell);
      var inside = i >= 0 && j >= 0 && i < m.T && j < m.T;
      var cur = self.s.cursor;
      if (inside && cur && cur.i === i && cur.j === j) return;
      self.s.cursor = inside ? {i: i, j: j} : null;
      self.paintDetail();
    });
    c.addEventListener('keydown', function (ev) {
      var cur = self.s.cursor || {i: 0, j: 0}, T = m.T;
      var moves = {ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0]};
      var mv = moves[ev.key];
      if (!mv) return;
      ev.preventDefault();
      self.s.cursor = self.s.cursor ? {i: clamp(cur.i + mv[0], 0, T - 1), j: clamp(cur.j + mv[1], 0, T - 1)} : cur;
      self.paintDetail();
    });
    this.gridWrap.hidden = true;
    d.hidden = false;
    c.focus();
  };

  Explorer.prototype.closeDetail = function (quiet) {
    var dl = this.s.detail;
    this.s.detail = null;
    this.s.cursor = null;
    this.detail.hidden = true;
    this.detail.textContent = '';
    this.gridWrap.hidden = false;
    if (dl && !quiet) this.cells[dl.l * this.m.H + dl.h].focus();
    this.renderReadout();
  };

  /* The large map with token labels, drawn once into an offscreen canvas; the cursor is painted over a
     copy of it so that moving the pointer over a 256-token map stays cheap. */
  Explorer.prototype.drawDetailBase = function (l, h) {
    var g = this.detailGeometry(l, h), base = document.createElement('canvas');
    this.paintDetailMap(sizeCanvas(base, g.W, g.H, 6000), g);
    g.base = base;
    return g;
  };

  /* Sizes of the large map of layer l, head h: cell size, label width, the whole picture. */
  Explorer.prototype.detailGeometry = function (l, h) {
    var m = this.m, T = m.T;
    var cell = Math.floor(clamp(560 / T, 12, 44));
    var font = TOKEN_FONT.replace('13px', clamp(cell - 2, 10, 12) + 'px');
    var longest = 0;
    for (var i = 0; i < T; i++) longest = Math.max(longest, textWidth(m.tokens[i], font));
    var lab = Math.ceil(Math.min(longest, 150)) + 10;
    var W = lab + T * cell + 6;
    return {W: W, H: W, x0: lab, y0: lab, cell: cell, font: font, l: l, h: h};
  };

  /* The large map with its token labels (and its numbers when the cells are large), at (0, 0) of ctx. */
  Explorer.prototype.paintDetailMap = function (ctx, g) {
    var m = this.m, T = m.T, l = g.l, h = g.h, cell = g.cell, lab = g.x0, i, j;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, g.W, g.H);
    drawHeat(ctx, heatImage(m, l, h), lab, lab, T * cell);
    if (cell >= 14) {  // cell borders help reading short inputs
      ctx.strokeStyle = 'rgba(255,255,255,0.7)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (var k = 0; k <= T; k++) {
        ctx.moveTo(lab + k * cell, lab); ctx.lineTo(lab + k * cell, lab + T * cell);
        ctx.moveTo(lab, lab + k * cell); ctx.lineTo(lab + T * cell, lab + k * cell);
      }
      ctx.stroke();
    }
    if (cell >= 30) {  // room for the numbers themselves
      ctx.font = '10px ' + UI_FONT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (i = 0; i < T; i++) {
        for (j = 0; j < T; j++) {
          var q = m.at(l, h, i, j);
          ctx.fillStyle = Math.sqrt(q / SCALE) > 0.55 ? '#fff' : '#1f2328';
          ctx.fillText((q / SCALE).toFixed(2), lab + j * cell + cell / 2, lab + i * cell + cell / 2);
        }
      }
    }
    ctx.font = g.font;
    ctx.fillStyle = '#1f2328';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (i = 0; i < T; i++) ctx.fillText(fitText(ctx, m.tokens[i], lab - 8), lab - 5, lab + i * cell + cell / 2);
    ctx.save();
    ctx.rotate(-Math.PI / 2);  // key labels read bottom to top above the columns
    ctx.textAlign = 'left';
    for (j = 0; j < T; j++) ctx.fillText(fitText(ctx, m.tokens[j], lab - 8), -lab + 5, lab + j * cell + cell / 2);
    ctx.restore();
  };

  Explorer.prototype.paintDetail = function () {
    var g = this.detailGeom, c = this.detailCanvas, cur = this.s.cursor;
    var ctx = sizeCanvas(c, g.W, g.H, 6000);
    ctx.drawImage(g.base, 0, 0, g.W, g.H);
    if (cur) {
      ctx.strokeStyle = '#d62728';
      ctx.lineWidth = 2;
      ctx.strokeRect(g.x0 + cur.j * g.cell, g.y0 + cur.i * g.cell, g.cell, g.cell);
      ctx.strokeStyle = 'rgba(214,39,40,0.35)';
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, g.y0 + cur.i * g.cell, g.x0 + (cur.j + 1) * g.cell, g.cell);
      ctx.strokeRect(g.x0 + cur.j * g.cell, 0.5, g.cell, g.y0 + (cur.i + 1) * g.cell);
    }
    this.renderReadout();
  };

  Explorer.prototype.renderDetailReadout = function () {
    var m = this.m, ro = this.readout, d = this.s.detail, cur = this.s.cursor;
    if (!d) {
      ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('model view', '模型视图'));
      ro.appendChild(el('div', 'ax-hint')).appendChild(bi(m.L + ' layers × ' + m.H + ' heads, ' + m.T +
        ' tokens. Open a map to read its weights.', m.L + ' 层 × ' + m.H + ' 个头，' + m.T + ' 个词元。打开一张图来读它的权重。'));
      return;
    }
    var role = m.roles[d.l][d.h];
    ro.appendChild(el('div', 'ax-rtitle')).appendChild(bi('layer ' + n1(d.l) + ' head ' + n1(d.h) +
      (role ? ' (' + role + ')' : ''), '第 ' + n1(d.l) + ' 层第 ' + n1(d.h) + ' 个头' + (role ? '（' + roleZh(role) + '）' : '')));
    if (!cur) {
      ro.appendChild(el('div', 'ax-hint')).appendChild(bi('Hover a cell, or press an arrow key, to read its weight.',
        '把指针移到某个格子上（或按方向键），读出它的权重。'));
      return;
    }
    var q = m.at(d.l, d.h, cur.i, cur.j), list = el('ul');
    var li = attrs(el('li'), {'data-h': String(d.h), 'data-i': String(cur.i), 'data-j': String(cur.j),
      'data-w': fmt(q)});
    var pair = quote(tokName(m, cur.i)) + ' → ' + quote(tokName(m, cur.j)) + ' ';
    li.append(bi('layer ' + n1(d.l) + ' head ' + n1(d.h) + ': ' + pair, '第 ' + n1(d.l) + ' 层第 ' + n1(d.h) + ' 个头：' +
      pair), el('span', 'ax-w', fmt(q)));
    list.appendChild(li);
    ro.appendChild(list);
  };

  // ---------------------------------------------------------------- PNG and SVG export

  /* The heads shown, in words: 'head 7', 'heads 1, 4, 7', or 'heads 1–12' for all of them. */
  function headsText(heads, H) {
    if (heads.length === 1) return tr('head ' + n1(heads[0]), '第 ' + n1(heads[0]) + ' 个头');
    if (!heads.length) return tr('no head', '没有头');
    if (heads.length === H) return tr('heads 1–' + H, '第 1–' + H + ' 个头');
    return tr('heads ' + heads.map(n1).join(', '), '第 ' + heads.map(n1).join('、') + ' 个头');
  }

  /* What the current view shows, for the exported image's title and its file name. */
  Explorer.prototype.exportWhat = function () {
    var s = this.s, m = this.m, d = s.detail;
    if (s.view === 'head') {
      var heads = this.activeHeads();
      return {text: tr('layer ' + n1(s.layer) + ', ', '第 ' + n1(s.layer) + ' 层，') + headsText(heads, m.H),
        file: 'layer' + n1(s.layer) + (heads.length === 1 ? '-head' + n1(heads[0]) : '')};
    }
    if (d) {
      return {text: tr('layer ' + n1(d.l) + ', head ' + n1(d.h), '第 ' + n1(d.l) + ' 层，第 ' + n1(d.h) + ' 个头'),
        file: 'layer' + n1(d.l) + '-head' + n1(d.h) + '-map'};
    }
    return {text: tr('all ' + m.L + ' layers × ' + m.H + ' heads', '全部 ' + m.L + ' 层 × ' + m.H + ' 个头'), file: 'all-heads'};
  };

  /* The exported image's title: the model and the sentence (the explorer's export title), then the
     layer and heads, numbered from 1. */
  Explorer.prototype.exportTitle = function () {
    return [this.m.exportTitle || 'attention', this.exportWhat().text];
  };

  /* The current view as a canvas (PNG, twice its CSS size) or an SvgContext (SVG). */
  Explorer.prototype.exportImage = function (svg) {
    var s = this.s, scale = svg ? 1 : 2;
    if (s.view === 'head') return this.headImage(scale, svg);
    return s.detail ? this.detailImage(scale, svg) : this.gridImage(scale, svg);
  };

  Explorer.prototype.exportName = function (ext) {
    return (this.root.id || 'attention') + '-' + this.exportWhat().file + '.' + ext;
  };

  Explorer.prototype.exportPNG = function () {
    download(this.exportImage(false), this.exportName('png'));
  };

  Explorer.prototype.exportSVG = function () {
    downloadBlob(new Blob([this.exportImage(true).toString()], {type: 'image/svg+xml'}), this.exportName('svg'));
  };

  /* The part of the canvas 2D API the exports use, recorded as SVG elements: rectangles, straight paths,
     text and images (a heat map is an embedded PNG, one pixel per weight, drawn without smoothing). */
  function SvgContext(W, H, title) {
    this.W = W;
    this.H = H;
    this.title = title;
    this.parts = [];
    this.path = [];
    this.stack = [];
    this.m = [1, 0, 0, 1, 0, 0];
    this.fillStyle = '#000';
    this.strokeStyle = '#000';
    this.lineWidth = 1;
    this.lineCap = 'butt';
    this.globalAlpha = 1;
    this.font = '10px sans-serif';
    this.textAlign = 'start';
    this.textBaseline = 'alphabetic';
    this.imageSmoothingEnabled = true;
    this.imageSmoothingQuality = 'low';
  }

  var STATE = ['fillStyle', 'strokeStyle', 'lineWidth', 'lineCap', 'globalAlpha', 'font', 'textAlign', 'textBaseline',
    'imageSmoothingEnabled'];

  function xml(t) {
    return String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }

  function r3(x) { return String(Math.round(x * 1000) / 1000); }

  SvgContext.prototype.save = function () {
    var st = {m: this.m.slice()}, self = this;
    STATE.forEach(function (k) { st[k] = self[k]; });
    this.stack.push(st);
  };
  SvgContext.prototype.restore = function () {
    var st = this.stack.pop(), self = this;
    if (!st) return;
    this.m = st.m;
    STATE.forEach(function (k) { self[k] = st[k]; });
  };
  SvgContext.prototype.transform = function (a, b, c, d, e, f) {
    var m = this.m;
    this.m = [m[0] * a + m[2] * b, m[1] * a + m[3] * b, m[0] * c + m[2] * d, m[1] * c + m[3] * d,
      m[0] * e + m[2] * f + m[4], m[1] * e + m[3] * f + m[5]];
  };
  SvgContext.prototype.setTransform = function (a, b, c, d, e, f) { this.m = [a, b, c, d, e, f]; };
  SvgContext.prototype.scale = function (x, y) { this.transform(x, 0, 0, y, 0, 0); };
  SvgContext.prototype.translate = function (x, y) { this.transform(1, 0, 0, 1, x, y); };
  SvgContext.prototype.rotate = function (a) {
    var c = Math.cos(a), s = Math.sin(a);
    this.transform(c, s, -s, c, 0, 0);
  };
  SvgContext.prototype.measureText = function (text) {
    measureCtx = measureCtx || document.createElement('canvas').getContext('2d');
    measureCtx.font = this.font;
    return measureCtx.measureText(text);
  };
  /* The attributes every element shares: its transform and opacity. */
  SvgContext.prototype.common = function () {
    var m = this.m, out = '';
    if (m[0] !== 1 || m[1] !== 0 || m[2] !== 0 || m[3] !== 1 || m[4] !== 0 || m[5] !== 0) {
      out += ' transform="matrix(' + m.map(r3).join(' ') + ')"';
    }
    if (this.globalAlpha < 1) out += ' opacity="' + r3(Math.max(0, this.globalAlpha)) + '"';
    return out;
  };
  SvgContext.prototype.rect = function (x, y, w, h, paint) {
    this.parts.push('<rect x="' + r3(x) + '" y="' + r3(y) + '" width="' + r3(w) + '" height="' + r3(h) + '" ' + paint +
      this.common() + '/>');
  };
  SvgContext.prototype.fillRect = function (x, y, w, h) { this.rect(x, y, w, h, 'fill="' + xml(this.fillStyle) + '"'); };
  SvgContext.prototype.strokeRect = function (x, y, w, h) {
    this.rect(x, y, w, h, 'fill="none" stroke="' + xml(this.strokeStyle) + '" stroke-width="' + r3(this.lineWidth) + '"');
  };
  SvgContext.prototype.clearRect = function () {};
  SvgContext.prototype.beginPath = function () { this.path = []; };
  SvgContext.prototype.moveTo = function (x, y) { this.path.push('M' + r3(x) + ' ' + r3(y)); };
  SvgContext.prototype.lineTo = function (x, y) { this.path.push('L' + r3(x) + ' ' + r3(y)); };
  SvgContext.prototype.stroke = function () {
    if (!this.path.length) return;
    this.parts.push('<path d="' + this.path.join('') + '" fill="none" stroke="' + xml(this.strokeStyle) +
      '" stroke-width="' + r3(this.lineWidth) + '" stroke-linecap="' + this.lineCap + '"' + this.common() + '/>');
  };
  SvgContext.prototype.fillText = function (text, x, y) {
    var anchor = {left: 'start', start: 'start', right: 'end', end: 'end', center: 'middle'}[this.textAlign] || 'start';
    var base = {top: 'text-before-edge', hanging: 'hanging', middle: 'central', bottom: 'text-after-edge'}[
      this.textBaseline];
    this.parts.push('<text x="' + r3(x) + '" y="' + r3(y) + '" fill="' + xml(this.fillStyle) + '" text-anchor="' + anchor +
      '"' + (base ? ' dominant-baseline="' + base + '"' : '') + ' style="white-space:pre;font:' + xml(this.font) + '"' +
      this.common() + '>' + xml(text) + '</text>');
  };
  SvgContext.prototype.drawImage = function (img, x, y, w, h) {
    this.parts.push('<image x="' + r3(x) + '" y="' + r3(y) + '" width="' + r3(w) + '" height="' + r3(h) +
      '" preserveAspectRatio="none"' + (this.imageSmoothingEnabled ? '' : ' style="image-rendering:pixelated"') +
      ' xlink:href="' + img.toDataURL('image/png') + '"' + this.common() + '/>');
  };
  SvgContext.prototype.toString = function () {
    return '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ' +
      'xmlns:xlink="http://www.w3.org/1999/xlink" width="' + this.W + '" height="' + this.H + '" viewBox="0 0 ' +
      this.W + ' ' + this.H + '">\n<title>' + xml(this.title) + '</title>\n' + this.parts.join('\n') + '\n</svg>\n';
  };

  /* A title (lines: the model and sentence, then the layer and heads), a grey subtitle, and below them
     `draw(ctx, x, y)` of a `w` x `h` picture, on white: a canvas `scale` times its CSS size, or an
     SvgContext when `svg`. */
  function framed(scale, title, sub, w, h, draw, svg) {
    var pad = 16, titleFont = '600 15px ' + UI_FONT, subFont = '12px ' + UI_FONT;
    var titleLines = [];
    title.forEach(function (t) { if (t) titleLines = titleLines.concat(wrapText(t, titleFont, w)); });
    var titleH = titleLines.length * 20 + (titleLines.length ? 4 : 0);
    var subLines = sub ? wrapText(sub, subFont, w) : [], subH = subLines.length * 16 + (sub ? 2 : 0);
    var W = Math.ceil(w + 2 * pad), H = Math.ceil(h + 2 * pad + titleH + subH), c = null, ctx;
    if (svg) {
      ctx = new SvgContext(W, H, title.filter(Boolean).join(' · '));
    } else {
      c = document.createElement('canvas');
      c.width = W * scale;
      c.height = H * scale;
      ctx = c.getContext('2d');
      ctx.scale(scale, scale);
    }
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = '#1f2328';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.font = titleFont;
    titleLines.forEach(function (line, k) { ctx.fillText(fitText(ctx, line, W - 2 * pad), pad, pad + 20 * k); });
    ctx.font = subFont;
    ctx.fillStyle = '#59636e';
    subLines.forEach(function (line, k) { ctx.fillText(line, pad, pad + titleH + 16 * k); });
    draw(ctx, pad, pad + titleH + subH);
    return svg ? ctx : c;
  }

  Explorer.prototype.headImage = function (scale, svg) {
    var m = this.m, s = this.s, self = this, heads = this.activeHeads(), fs = this.focusState(), T = m.T;
    var longest = 0;
    for (var i = 0; i < T; i++) longest = Math.max(longest, textWidth(m.tokens[i], TOKEN_FONT));
    var other = fs.src ? (fs.src.side === 'q' ? 'k' : 'q') : null;  // the column that gets bars
    var colW = Math.ceil(Math.min(longest, 180)) + 12, bw = 5, barsW = heads.length * (bw + 1) + 4, linesW = 260;
    var leftBars = other === 'q' ? barsW : 0, rightBars = other === 'k' ? barsW : 0;
    var width = 2 * colW + leftBars + rightBars + linesW;
    // legend rows: a swatch, the head and its role, wrapped to the picture's width
    var items = heads.map(function (h) {
      var role = m.roles[s.layer][h];
      return {h: h, text: tr('head ' + n1(h) + (role ? ' ' + role : ''), '第 ' + n1(h) + ' 个头' + (role ? ' ' + roleZh(role) : ''))};
    });
    var legendFont = '12px ' + UI_FONT, rows = [[]], x = 0;
    items.forEach(function (it) {
      it.w = 18 + textWidth(it.text, legendFont) + 12;
      if (x + it.w > width && rows[rows.length - 1].length) { rows.push([]); x = 0; }
      rows[rows.length - 1].push(it);
      x += it.w;
    });
    var legendH = rows.length * 18 + 8;
    var name = fs.src ? quote(tokName(m, fs.src.i)) : '';
    var what = fs.src ? (fs.src.side === 'q' ? tr('where ' + name + ' attends', name + ' 看向哪里') :
      tr('what attends to ' + name, '哪些词元看向 ' + name)) : (s.topK > 0 && s.topK < T ?
      tr('strongest ' + s.topK + ' keys of each query', '每个查询最强的 ' + s.topK + ' 个键') : tr('all weights', '所有权重'));
    var sub = what + tr(' · opacity = weight', ' · 不透明度 = 权重') + (s.minW > 0 ? ' (≥ ' + s.minW + ')' : '');
    return framed(scale, this.exportTitle(), sub, width, legendH + 18 + T * ROW, function (ctx, x0, y0) {
      ctx.textBaseline = 'middle';
      ctx.font = legendFont;
      rows.forEach(function (row, r) {
        var xx = x0;
        row.forEach(function (it) {
          ctx.fillStyle = headColor(it.h);
          ctx.fillRect(xx, y0 + r * 18 + 3, 12, 12);
          ctx.fillStyle = '#1f2328';
          ctx.fillText(it.text, xx + 17, y0 + r * 18 + 9);
          xx += it.w;
        });
      });
      var top = y0 + legendH;
      ctx.font = '11px ' + UI_FONT;
      ctx.fillStyle = '#59636e';
      ctx.textAlign = 'right';
      ctx.fillText(tr('query', '查询'), x0 + colW - 6, top + 8);
      ctx.textAlign = 'left';
      ctx.fillText(tr('key', '键'), x0 + width - colW + 6, top + 8);
      top += 18;
      var yOf = function (k) { return top + k * ROW + ROW / 2; };
      ctx.font = TOKEN_FONT;
      for (var k = 0; k < T; k++) {
        ['q', 'k'].forEach(function (side) {
          var left = side === 'q', tx = left ? x0 : x0 + width - colW;
          var isSrc = fs.src && fs.src.side === side && fs.src.i === k;
          if (isSrc) {
            ctx.fillStyle = '#fff1b8';
            ctx.fillRect(tx, top + k * ROW + 1, colW, ROW - 2);
          }
          ctx.fillStyle = isSrc ? '#000' : '#1f2328';
          ctx.textAlign = left ? 'right' : 'left';
          ctx.fillText(fitText(ctx, m.tokens[k], colW - 10), left ? tx + colW - 6 : tx + 6, yOf(k));
          if (side === other) {
            var bx = left ? x0 + colW + 2 : x0 + width - colW - rightBars + 2;
            heads.forEach(function (h, n) {
              ctx.globalAlpha = Math.min(1, self.weight(s.layer, h, fs.src, k) / SCALE);
              ctx.fillStyle = headColor(h);
              ctx.fillRect(bx + n * (bw + 1), top + k * ROW + 3, bw, ROW - 6);
            });
            ctx.globalAlpha = 1;
          }
        });
      }
      self.drawLines(ctx, x0 + colW + leftBars + 2, x0 + width - colW - rightBars - 2, yOf);
    }, svg);
  };

  Explorer.prototype.gridImage = function (scale, svg) {
    var m = this.m, cs = 72, gap = 6, labW = 28, headH = 18, roleH = 14;
    var w = labW + m.H * (cs + gap), h = headH + m.L * (cs + roleH + gap);
    var sub = tr(m.L + ' layers × ' + m.H + ' heads · ' + m.T + ' tokens · rows: queries, columns: keys · colour: √weight',
      m.L + ' 层 × ' + m.H + ' 个头 · ' + m.T + ' 个词元 · 行：查询，列：键 · 颜色：√权重');
    return framed(scale, this.exportTitle(), sub, w, h, function (ctx, x0, y0) {
      ctx.textBaseline = 'middle';
      ctx.font = '11px ' + UI_FONT;
      for (var hh = 0; hh < m.H; hh++) {
        var x = x0 + labW + hh * (cs + gap);
        ctx.fillStyle = headColor(hh);
        ctx.fillRect(x, y0 + 4, 9, 9);
        ctx.fillStyle = '#59636e';
        ctx.textAlign = 'left';
        ctx.fillText('H' + n1(hh), x + 13, y0 + 9);
      }
      for (var l = 0; l < m.L; l++) {
        var y = y0 + headH + l * (cs + roleH + gap);
        ctx.fillStyle = '#59636e';
        ctx.textAlign = 'left';
        ctx.fillText('L' + n1(l), x0, y + cs / 2);
        for (hh = 0; hh < m.H; hh++) {
          var xx = x0 + labW + hh * (cs + gap);
          drawHeat(ctx, heatImage(m, l, hh), xx, y, cs);
          ctx.strokeStyle = '#d1d9e0';
          ctx.lineWidth = 1;
          ctx.strokeRect(xx - 0.5, y - 0.5, cs + 1, cs + 1);
          ctx.fillStyle = '#59636e';
          ctx.textAlign = 'center';
          ctx.fillText(fitText(ctx, tr(m.roles[l][hh], roleZh(m.roles[l][hh])), cs), xx + cs / 2, y + cs + roleH / 2 + 1);
        }
      }
    }, svg);
  };

  Explorer.prototype.detailImage = function (scale, svg) {
    var m = this.m, d = this.s.detail, g = this.detailGeometry(d.l, d.h), self = this;
    var role = m.roles[d.l][d.h];
    var sub = tr((role ? 'role: ' + role + ' · ' : '') + 'rows: queries, columns: keys · colour: √weight',
      (role ? '角色：' + roleZh(role) + ' · ' : '') + '行：查询，列：键 · 颜色：√权重');
    return framed(scale, this.exportTitle(), sub, g.W, g.H, function (ctx, x0, y0) {
      ctx.save();
      ctx.translate(x0, y0);
      self.paintDetailMap(ctx, g);
      ctx.restore();
    }, svg);
  };

  // ---------------------------------------------------------------- start

  function init(root) {
    if (root.getAttribute('data-ax-ready')) return;
    root.setAttribute('data-ax-ready', 'loading');
    var block = root.querySelector('script.ax-data');
    var fail = function (err) {
      root.setAttribute('data-ax-ready', 'error');
      var why = err && err.message ? err.message : String(err);
      var p = el('p', 'ax-hint');
      p.appendChild(bi('The attention explorer could not start: ' + why, '注意力浏览器无法启动：' + why));
      root.appendChild(p);
      if (window.console) console.warn('attnlab explorer:', err);
    };
    var raw;
    try { raw = JSON.parse(block.textContent); } catch (err) { fail(err); return; }
    loadModel(raw).then(function (m) {
      root.explorer = new Explorer(root, m);
      root.setAttribute('data-ax-ready', '1');
    }).catch(fail);
  }

  function initAll() {
    var roots = document.querySelectorAll('.attnlab-explorer');
    for (var k = 0; k < roots.length; k++) init(roots[k]);
  }

  window.attnlabExplorer = {version: VERSION, init: init, initAll: initAll};
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initAll);
  initAll();
})();
