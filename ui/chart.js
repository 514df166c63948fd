// The Status screen's chart, drawn as SVG: bars for the records synced per minute (left scale)
// and a line for the queue depth (right scale), over the last 60 minutes. No library.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 720;
  const H = 220;
  const PAD = { left: 44, right: 48, top: 14, bottom: 28 };

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A round maximum for an axis: 1, 2, 5, 10, 20, 50 … at least `value`. */
  function niceMax(value) {
    if (value <= 4) return 4;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (step * power >= value) return step * power;
    }
    return 10 * power;
  }

  function short(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + "M";
    if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + "k";
    return String(Math.round(n));
  }

  function draw(container, points) {
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", "aria-hidden": "true", focusable: "false" });
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const n = Math.max(points.length, 1);
    const maxSynced = niceMax(Math.max(0, ...points.map((p) => p.synced)));
    const maxQueue = niceMax(Math.max(0, ...points.map((p) => p.queue)));
    const x = (i) => PAD.left + (i * plotW) / n;
    const ySynced = (v) => PAD.top + plotH - (v / maxSynced) * plotH;
    const yQueue = (v) => PAD.top + plotH - (v / maxQueue) * plotH;

    // Grid and scales.
    for (let k = 0; k <= 4; k++) {
      const y = PAD.top + (plotH * k) / 4;
      svg.appendChild(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid" }));
      svg.appendChild(el("text", { x: PAD.left - 6, y: y + 4, class: "axis synced-axis", "text-anchor": "end" }, short((maxSynced * (4 - k)) / 4)));
      svg.appendChild(el("text", { x: W - PAD.right + 6, y: y + 4, class: "axis queue-axis", "text-anchor": "start" }, short((maxQueue * (4 - k)) / 4)));
    }
    // Time labels: every 15 minutes.
    points.forEach((p, i) => {
      if ((points.length - 1 - i) % 15 === 0) {
        const ago = points.length - 1 - i;
        svg.appendChild(el("text", { x: x(i) + plotW / n / 2, y: H - 8, class: "axis", "text-anchor": "middle" }, ago === 0 ? "now" : `−${ago} min`));
      }
    });
    // Bars.
    const barW = Math.max(1, plotW / n - 2);
    points.forEach((p, i) => {
      if (p.synced > 0) {
        const y = ySynced(p.synced);
        svg.appendChild(el("rect", { x: x(i) + 1, y, width: barW, height: PAD.top + plotH - y, class: "bar", rx: 1.5 }));
      }
    });
    // Queue line.
    if (points.length) {
      const path = points
        .map((p, i) => `${i ? "L" : "M"}${(x(i) + plotW / n / 2).toFixed(1)},${yQueue(p.queue).toFixed(1)}`)
        .join(" ");
      svg.appendChild(el("path", { d: path, class: "queue-line" }));
      const last = points[points.length - 1];
      svg.appendChild(el("circle", { cx: x(points.length - 1) + plotW / n / 2, cy: yQueue(last.queue), r: 3.5, class: "queue-dot" }));
    }
    container.replaceChildren(svg);
  }

  function summary(points) {
    const synced = points.reduce((sum, p) => sum + p.synced, 0);
    const last = points.length ? points[points.length - 1].queue : 0;
    return `In the last hour ${synced} records were synced; ${last} are waiting now.`;
  }

  window.TwentySyncChart = { draw, summary };
})();
