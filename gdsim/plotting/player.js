/* gdsim's browser player: a run's numbers drawn over the background matplotlib drew once.
 *
 * gdsimPlayer(root, P) fills root (the markup of gdsim/plotting/player.py) from the payload P:
 * the axes' pixel boxes and limits, one record per run or sweep cell, and the numbers deflated in
 * P.data. Everything is drawn in the figure's own pixels (top-left origin), so a point lands where
 * matplotlib's transData puts it. No network, no library: it runs from file:// as in a notebook.
 */
function gdsimPlayer(root, P) {
  "use strict";
  const find = (name) => root.querySelector("." + name);
  const stage = find("gd-stage"), image = find("gd-image"), canvas = find("gd-canvas");
  const tip = find("gd-tip"), legendBox = find("gd-legend"), controls = find("gd-controls");
  const message = find("gd-message");
  const W = P.width, H = P.height, PT = P.dpi / 72;   // one typographic point in figure pixels

  function fail(text) {
    message.hidden = false;
    message.textContent = "The player could not start: " + text;
    root.dataset.ready = "error";
  }
  if (typeof DecompressionStream === "undefined") {
    fail("this browser has no DecompressionStream; a current Chrome, Firefox, Edge or Safari has.");
    return;
  }

  // -- the numbers ------------------------------------------------------------------------------
  function base64Bytes(text) {
    const binary = atob(text), bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }
  // uint16 deltas stored low bytes then high bytes, summed along each series of `length` (mod 2^16)
  function undelta(bytes, section) {
    const [offset, count, length] = section, out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = bytes[offset + i] | (bytes[offset + count + i] << 8);
    for (let s = 0; s < count; s += length) {
      let sum = 0;
      for (let t = s; t < s + length; t++) { sum = (sum + out[t]) & 0xffff; out[t] = sum; }
    }
    return out;
  }
  function unpack(buffer) {
    const bytes = new Uint8Array(buffer), grid = P.grid, loss = P.loss;
    for (const g of P.groups) {
      const T = P.stepTables[g.steps].length, codes = undelta(bytes, g.xy);
      g.T = T;
      g.x = new Float64Array(g.n * T);
      g.y = new Float64Array(g.n * T);
      for (let j = 0; j < g.n; j++) {
        for (let t = 0; t < T; t++) {
          g.x[j * T + t] = grid.low[0] + codes[(2 * j) * T + t] / 65535 * grid.span[0];
          g.y[j * T + t] = grid.low[1] + codes[(2 * j + 1) * T + t] / 65535 * grid.span[1];
        }
      }
      const gaps = undelta(bytes, g.loss);
      g.gap = new Float64Array(gaps.length);   // log10(loss - f*)
      for (let i = 0; i < gaps.length; i++) g.gap[i] = loss.low + gaps[i] / 65535 * loss.span;
      const [offset, curves, length] = g.lr;
      g.lrs = new Float32Array(buffer, offset, curves * length);
      g.lrCurves = curves;
      g.lrLength = length;
      g.table = P.stepTables[g.steps];
      g.lrTable = g.lrSteps >= 0 ? P.stepTables[g.lrSteps] : null;   // null: row t is step t
    }
    for (const a of P.arrows) a.values = new Float32Array(buffer, a.data, P.groups[a.group].T * 4);
  }

  // -- where things go --------------------------------------------------------------------------
  const log10 = Math.log10;
  function px(a, v, given_log) {
    let lo = a.xlim[0], hi = a.xlim[1];
    if (a.xlog) { lo = log10(lo); hi = log10(hi); if (!given_log) v = log10(v); }
    return a.box[0] + (v - lo) / (hi - lo) * a.box[2];
  }
  function py(a, v, given_log) {
    let lo = a.ylim[0], hi = a.ylim[1];
    if (a.ylog) { lo = log10(lo); hi = log10(hi); if (!given_log) v = log10(v); }
    return a.box[1] + (hi - v) / (hi - lo) * a.box[3];
  }
  function rowAt(table, step) {   // the last recorded row at or before step
    let lo = 0, hi = table.length - 1;
    if (step < table[0]) return 0;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (table[mid] <= step) lo = mid; else hi = mid - 1; }
    return lo;
  }
  const mains = P.axes.filter((a) => a.kind === "main");
  const panels = P.axes.filter((a) => a.kind !== "main");

  // -- state ------------------------------------------------------------------------------------
  const S = { i: 0, timer: null, speed: 1, slider: P.sliders.map(() => 0), hover: null };
  const longest = Math.max(...P.stepTables.map((t) => t.length));
  S.trail = P.trail ? Math.min(P.trail, longest) : longest;   // rows behind the head; longest: all
  const step = () => P.clock[S.i];
  const visible = (g) => Object.keys(g.cell).every((k) => S.slider[+k] === g.cell[k]);
  const colour = (g, j) => P.colors[g.colors[Math.min(j, g.colors.length - 1)]];

  // -- drawing ----------------------------------------------------------------------------------
  const ctx = canvas.getContext("2d");
  const ratio = Math.max(1, window.devicePixelRatio || 1);
  canvas.width = Math.round(W * ratio);
  canvas.height = Math.round(H * ratio);

  function clip(a) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(a.box[0], a.box[1], a.box[2], a.box[3]);
    ctx.clip();
  }
  function fade(g, j) {
    const h = S.hover;
    return h && !(h.g === g && (h.j === j || h.j < 0)) ? 0.25 : 1;
  }
  function trailRange(g) {
    const k = rowAt(g.table, step());
    return [S.trail >= longest ? 0 : Math.max(0, k - S.trail), k];
  }
  function drawPath(g, j, a, k0, k, wide) {
    const T = g.T;
    ctx.beginPath();
    ctx.moveTo(px(a, g.x[j * T + k0]), py(a, g.y[j * T + k0]));
    for (let t = k0 + 1; t <= k; t++) ctx.lineTo(px(a, g.x[j * T + t]), py(a, g.y[j * T + t]));
    ctx.lineWidth = 1.6 * PT * (wide ? 1.9 : 1);
    ctx.strokeStyle = colour(g, j);
    ctx.stroke();
  }
  function drawHead(g, j, a, k) {
    const T = g.T;
    ctx.beginPath();
    ctx.arc(px(a, g.x[j * T + k]), py(a, g.y[j * T + k]), 3 * PT, 0, 2 * Math.PI);
    ctx.fillStyle = colour(g, j);
    ctx.fill();
    ctx.lineWidth = 0.8 * PT;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
  }
  function drawArrow(a, x, y, dx, dy, fill, edge) {   // a quiver arrow, in figure pixels
    const x0 = px(a, x), y0 = py(a, y), x1 = px(a, x + dx), y1 = py(a, y + dy);
    const L = Math.hypot(x1 - x0, y1 - y0);
    if (!(L > 0.5)) return;
    const w = 0.006 * a.box[2], scale = Math.min(1, L / (5 * w));
    const hl = 5 * w * scale, ha = 4.5 * w * scale, hw = 3.5 * w * scale / 2, sw = w / 2 * scale;
    const ux = (x1 - x0) / L, uy = (y1 - y0) / L, nx = -uy, ny = ux;
    const pts = [[0, -sw], [L - ha, -sw], [L - hl, -hw], [L, 0], [L - hl, hw], [L - ha, sw], [0, sw]];
    ctx.beginPath();
    pts.forEach(([s, n], i) => {
      const X = x0 + ux * s + nx * n, Y = y0 + uy * s + ny * n;
      if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
    });
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
    if (edge) { ctx.lineWidth = 0.6 * PT; ctx.strokeStyle = edge; ctx.stroke(); }
  }
  function drawMain(index) {
    const a = P.axes[index];
    clip(a);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const shown = P.groups.filter((g) => g.axes === index && visible(g));
    const later = [];
    for (const g of shown) {
      const [k0, k] = trailRange(g);
      for (let j = 0; j < g.n; j++) {
        const alpha = fade(g, j);
        if (alpha < 1 || !S.hover) { ctx.globalAlpha = alpha; drawPath(g, j, a, k0, k, false); }
        else later.push([g, j, k0, k]);
      }
    }
    ctx.globalAlpha = 1;
    for (const [g, j, k0, k] of later) drawPath(g, j, a, k0, k, S.hover.j >= 0);
    for (const g of shown) {
      const k = rowAt(g.table, step());
      for (let j = 0; j < g.n; j++) { ctx.globalAlpha = fade(g, j); drawHead(g, j, a, k); }
    }
    ctx.globalAlpha = 1;
    for (const arrow of P.arrows) {
      const g = P.groups[arrow.group];
      if (g.axes !== index || !visible(g)) continue;
      const k = rowAt(g.table, step()), v = arrow.values, j = arrow.path, T = g.T;
      const x = g.x[j * T + k], y = g.y[j * T + k];
      drawArrow(a, x, y, v[4 * k], v[4 * k + 1], "#000000", null);
      drawArrow(a, x, y, v[4 * k + 2], v[4 * k + 3], colour(g, j), "#ffffff");
    }
    ctx.restore();
  }
  function curve(g, j, kind) {   // [xs, ys (log10 for the loss), count shown at this step]
    if (kind === "loss") {
      const T = g.T, k = rowAt(g.table, step());
      return [(t) => g.table[t], (t) => g.gap[j * T + t], k + 1];
    }
    const c = g.lrCurves === 1 ? 0 : j, L = g.lrLength;
    if (g.lrTable) return [(t) => g.lrTable[t], (t) => g.lrs[c * L + t], rowAt(g.lrTable, step()) + 1];
    return [(t) => t, (t) => g.lrs[c * L + t], Math.min(L, step() + 1)];
  }
  function curveCount(g, kind) { return kind === "lr" ? (g.lrLength ? g.lrCurves : 0) : g.n; }
  function drawPanel(a) {
    clip(a);
    ctx.lineCap = "butt";
    ctx.lineJoin = "round";
    const isLoss = a.kind === "loss";
    for (const g of P.groups) {
      if (!visible(g)) continue;
      for (let j = 0; j < curveCount(g, a.kind); j++) {
        const [xs, ys, count] = curve(g, j, a.kind);
        if (count < 1) continue;
        const hovered = S.hover && S.hover.g === g && (S.hover.j === j || S.hover.j < 0 ||
                                                        g.lrCurves === 1 && !isLoss);
        ctx.globalAlpha = S.hover && !hovered ? 0.2 : 0.85;
        ctx.beginPath();
        for (let t = 0; t < count; t++) {
          const X = px(a, xs(t)), Y = py(a, ys(t), isLoss);
          if (t) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
        }
        ctx.lineWidth = 1.6 * PT * (hovered && S.hover ? 1.6 : 1);
        ctx.strokeStyle = colour(g, j);
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 0.6;   // the cursor: where the frame is
    ctx.beginPath();
    const X = px(a, step());
    ctx.moveTo(X, a.box[1]);
    ctx.lineTo(X, a.box[1] + a.box[3]);
    ctx.lineWidth = 0.8 * PT;
    ctx.strokeStyle = "#000000";
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.restore();
  }
  function draw() {
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, W, H);
    P.axes.forEach((a, index) => (a.kind === "main" ? drawMain(index) : drawPanel(a)));
    ui.clock.textContent = P.clockName + " " + step() + " / " + P.last;
    ui.step.value = S.i;
    if (S.hover) showTip();
  }

  // -- hover: which path is under the pointer -----------------------------------------------------
  function segmentDistance(x, y, x0, y0, x1, y1) {
    const dx = x1 - x0, dy = y1 - y0, L2 = dx * dx + dy * dy;
    const t = L2 ? Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / L2)) : 0;
    return Math.hypot(x - x0 - t * dx, y - y0 - t * dy);
  }
  function nearest(fx, fy, tolerance) {
    const index = P.axes.findIndex((a) => fx >= a.box[0] && fx <= a.box[0] + a.box[2] &&
                                          fy >= a.box[1] && fy <= a.box[1] + a.box[3]);
    if (index < 0) return null;
    const a = P.axes[index];
    let best = null, bestDistance = tolerance;
    for (const g of P.groups) {
      if (!visible(g) || (a.kind === "main" && g.axes !== index)) continue;
      const n = a.kind === "main" ? g.n : curveCount(g, a.kind);
      for (let j = 0; j < n; j++) {
        let X, Y, from, to;
        if (a.kind === "main") {
          const T = g.T;
          [from, to] = trailRange(g);
          X = (t) => px(a, g.x[j * T + t]);
          Y = (t) => py(a, g.y[j * T + t]);
        } else {
          const [xs, ys, count] = curve(g, j, a.kind);
          [from, to] = [0, count - 1];
          X = (t) => px(a, xs(t));
          Y = (t) => py(a, ys(t), a.kind === "loss");
        }
        for (let t = from; t <= to; t++) {
          const d = t > from ? segmentDistance(fx, fy, X(t - 1), Y(t - 1), X(t), Y(t))
            : Math.hypot(fx - X(t), fy - Y(t));
          if (d < bestDistance) {
            bestDistance = d;
            best = { g: g, j: a.kind === "lr" && g.lrCurves === 1 && g.n > 1 ? -1 : j };
          }
        }
      }
    }
    return best;
  }
  function number(v) {
    if (!isFinite(v)) return String(v);
    const m = Math.abs(v);
    return m !== 0 && (m < 1e-3 || m >= 1e5) ? v.toExponential(2) : String(+v.toPrecision(4));
  }
  function showTip() {
    const h = S.hover, g = h.g, k = rowAt(g.table, step());
    const lines = [[g.label || "run " + (g.run + 1), true]];
    const j = Math.max(h.j, 0);
    if (h.j >= 0) {
      const s = g.starts[j];
      if (g.n > 1) lines.push(["start " + (j + 1) + " of " + g.n + " at (" + number(s[0]) + ", " +
                               number(s[1]) + ")"]);
      const gap = g.gap[j * g.T + k], low = P.loss.low, high = P.loss.low + P.loss.span;
      const loss = number(P.loss.fstar + Math.pow(10, gap));
      // beyond the stored range: above it (diverging), or within 10^low of the minimum f*
      const below = P.loss.fstar ? "≈ " : "below ";
      const said = gap >= high ? "above " + loss : gap <= low ? below + loss : loss;
      lines.push([P.clockName + " " + g.table[k] + ": loss " + said]);
    }
    if (g.lrLength) {
      const c = g.lrCurves === 1 ? 0 : j;
      const e = g.lrTable ? rowAt(g.lrTable, step()) : Math.min(step(), g.lrLength - 1);
      lines.push(["lr " + number(g.lrs[c * g.lrLength + e])]);
    }
    if (h.j >= 0 && g.reached[j] in P.outcomes) lines.push(["ends: " + P.outcomes[g.reached[j]]]);
    tip.replaceChildren(...lines.flatMap(([text, bold], i) => {
      const node = document.createElement(bold ? "b" : "span");
      node.textContent = text;
      return i ? [document.createElement("br"), node] : [node];
    }));
    tip.hidden = false;
    const box = stage.getBoundingClientRect(), scale = box.width / W;
    let left = S.pointer[0] * scale + 14, top = S.pointer[1] * scale + 14;
    if (left + tip.offsetWidth > box.width) left = Math.max(0, S.pointer[0] * scale - tip.offsetWidth - 14);
    if (top + tip.offsetHeight > box.height) top = Math.max(0, S.pointer[1] * scale - tip.offsetHeight - 14);
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }
  canvas.addEventListener("mousemove", (event) => {
    const box = canvas.getBoundingClientRect(), scale = W / box.width;
    S.pointer = [(event.clientX - box.left) * scale, (event.clientY - box.top) * scale];
    const found = nearest(S.pointer[0], S.pointer[1], 7 * scale);
    const same = found && S.hover && found.g === S.hover.g && found.j === S.hover.j;
    if (!found && !S.hover) return;
    S.hover = found;
    if (!found) tip.hidden = true;
    if (!same) draw(); else showTip();
  });
  canvas.addEventListener("mouseleave", () => {
    if (S.hover) { S.hover = null; tip.hidden = true; draw(); }
  });

  // -- controls -----------------------------------------------------------------------------------
  const ICONS = {
    first: "M2 3h2v10H2zM14 3v10L5 8z", back: "M10 3v10L3 8zM11 3h2v10h-2z",
    play: "M4 2l10 6-10 6z", pause: "M3 2h3.5v12H3zM9.5 2H13v12H9.5z",
    forward: "M3 3h2v10H3zM6 3v10l7-5z", last: "M2 3v10l9-5zM12 3h2v10h-2z",
  };
  function icon(name) {
    return '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="' + ICONS[name] + '"/></svg>';
  }
  function element(tag, properties, parent) {
    const node = Object.assign(document.createElement(tag), properties || {});
    if (parent) parent.appendChild(node);
    return node;
  }
  const ui = {};
  const top = element("div", { className: "gd-row" }, controls);
  const buttons = element("span", { className: "gd-buttons" }, top);
  function button(name, title, action) {
    const b = element("button", { type: "button", title: title, innerHTML: icon(name) }, buttons);
    b.setAttribute("aria-label", title);
    b.dataset.action = name;
    b.addEventListener("click", action);
    return b;
  }
  button("first", "first " + P.clockName, () => { stop(); setStep(P.clock[0]); });
  button("back", "one " + P.clockName + " back", () => {
    stop(); S.i = Math.max(0, S.i - 1); draw();
  });
  ui.play = button("play", "play", () => (S.timer ? stop() : play()));
  button("forward", "one " + P.clockName + " forward", () => {
    stop(); S.i = Math.min(P.clock.length - 1, S.i + 1); draw();
  });
  button("last", "last " + P.clockName, () => { stop(); S.i = P.clock.length - 1; draw(); });
  ui.clock = element("span", { className: "gd-clock" }, top);
  ui.clock.setAttribute("aria-live", "off");
  const stepLabel = element("label", { className: "gd-step", title: "the " + P.clockName + " shown" },
                            top);
  ui.step = element("input", { type: "range", min: 0, max: P.clock.length - 1, step: 1, value: 0 },
                    stepLabel);
  ui.step.setAttribute("aria-label", P.clockName);
  ui.step.dataset.control = "step";
  ui.step.addEventListener("input", () => { stop(); S.i = +ui.step.value; draw(); });

  const second = element("div", { className: "gd-row" }, controls);
  ui.sliders = P.sliders.map((s, k) => {
    const label = element("label", { title: "the swept " + s.name }, second);
    element("span", { textContent: s.title }, label);
    const input = element("input", { type: "range", min: 0, max: s.labels.length - 1, step: 1,
                                      value: 0 }, label);
    input.setAttribute("aria-label", s.title);
    input.dataset.control = "sweep";
    input.dataset.name = s.name;
    const out = element("output", { textContent: s.labels[0] }, label);
    input.addEventListener("input", () => {
      S.slider[k] = +input.value;
      out.textContent = s.labels[S.slider[k]];
      S.hover = null;
      tip.hidden = true;
      showLegend();
      draw();
    });
    return input;
  });
  const trailLabel = element("label", { title: "how many past steps each path drags behind it" },
                             second);
  element("span", { textContent: "trail" }, trailLabel);
  const trail = element("input", { type: "range", min: 1, max: longest, step: 1, value: S.trail },
                        trailLabel);
  trail.setAttribute("aria-label", "trail length");
  trail.dataset.control = "trail";
  const trailOut = element("output", {}, trailLabel);
  const showTrail = () => {
    trailOut.textContent = S.trail >= longest ? "whole path" : S.trail + " " + P.clockName + "s";
  };
  trail.addEventListener("input", () => { S.trail = +trail.value; showTrail(); draw(); });
  showTrail();
  const speedLabel = element("label", { title: "playback speed" }, second);
  element("span", { textContent: "speed" }, speedLabel);
  const speed = element("select", {}, speedLabel);
  speed.setAttribute("aria-label", "speed");
  speed.dataset.control = "speed";
  for (const v of [0.25, 0.5, 1, 2, 4]) element("option", { value: v, textContent: v + "×",
                                                            selected: v === 1 }, speed);
  speed.addEventListener("change", () => { S.speed = +speed.value; });

  function showLegend() {   // with sliders, the shown cell of each run (else matplotlib's legend)
    if (!P.legend) return;
    const shown = P.groups.filter(visible);
    legendBox.replaceChildren(...shown.map((g) => {
      const key = element("span", { className: "gd-key" });
      element("span", { className: "gd-swatch" }, key).style.background = colour(g, 0);
      element("span", { textContent: g.label || "run " + (g.run + 1) }, key);
      return key;
    }));
  }

  // -- playing ------------------------------------------------------------------------------------
  function setStep(s) { S.i = rowAt(P.clock, s); draw(); }
  const lastFrame = () => P.frames[P.frames.length - 1];
  function delay() {
    const d = 1000 / P.fps;
    return (step() >= lastFrame() ? Math.max(d, 1000 * P.hold) : d) / S.speed;
  }
  function tick() {
    const now = step(), next = P.frames.find((f) => f > now);
    setStep(next === undefined ? P.frames[0] : next);
    S.timer = setTimeout(tick, delay());
  }
  function play() {
    ui.play.innerHTML = icon("pause");
    ui.play.title = "pause";
    ui.play.setAttribute("aria-label", "pause");
    S.timer = setTimeout(tick, 1000 / P.fps / S.speed);
  }
  function stop() {
    if (!S.timer) return;
    clearTimeout(S.timer);
    S.timer = null;
    ui.play.innerHTML = icon("play");
    ui.play.title = "play";
    ui.play.setAttribute("aria-label", "play");
  }
  root.addEventListener("keydown", (event) => {
    if (event.target !== root) return;   // sliders and buttons keep their own keys
    if (event.key === " ") { event.preventDefault(); if (S.timer) stop(); else play(); }
    if (event.key === "ArrowRight") { stop(); S.i = Math.min(P.clock.length - 1, S.i + 1); draw(); }
    if (event.key === "ArrowLeft") { stop(); S.i = Math.max(0, S.i - 1); draw(); }
  });

  // -- start: unpack, swap the poster for the background, draw the first step ---------------------
  inflate(base64Bytes(P.data)).then((buffer) => {
    unpack(buffer);
    image.src = P.background;
    return image.decode().catch(() => null);
  }).then(() => {
    showLegend();
    draw();
    root.dataset.ready = "1";
  }).catch((error) => fail(String(error)));
}
