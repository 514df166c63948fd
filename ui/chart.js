// The Status screen's chart, drawn as SVG: bars for the records synced per minute (left scale)
// and a line for the most records waiting in each minute (right scale), over the last 60
// minutes. The agent picks the scales' round-number ticks (`synced_ticks`, `queue_ticks`); the
// chart is as wide as its box, so its text stays readable in a narrow window. No library.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const H = 220;
  const PAD = { left: 44, right: 48, top: 14, bottom: 28 };

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** 0, 1, …, 4 up to at least `value` when the agent sent no ticks (an older agent). */
  function fallbackTicks(value, count) {
    const step = Math.max(1, Math.ceil(value / count));
    return Array.from({ length: count + 1 }, (_, k) => k * step);
  }

  function short(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1).replace(/\.0$/, "") + "M";
    if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1).replace(/\.0$/, "") + "k";
    return String(Math.round(n));
  }

  const peak = (p) => (p.queue_peak === undefined ? p.queue : p.queue_peak);

  function draw(container, chart) {
    const points = chart.points || [];
    const W = Math.round(Math.max(320, Math.min(1000, container.clientWidth || 720)));
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", "aria-hidden": "true", focusable: "false" });
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const n = Math.max(points.length, 1);
    const left = chart.synced_ticks && chart.synced_ticks.length > 1
      ? chart.synced_ticks
      : fallbackTicks(Math.max(0, ...points.map((p) => p.synced)), 4);
    const right = chart.queue_ticks && chart.queue_ticks.length === left.length
      ? chart.queue_ticks
      : fallbackTicks(Math.max(0, ...points.map(peak)), left.length - 1);
    const maxSynced = left[left.length - 1] || 1;
    const maxQueue = right[right.length - 1] || 1;
    const x = (i) => PAD.left + (i * plotW) / n;
    const ySynced = (v) => PAD.top + plotH - (v / maxSynced) * plotH;
    const yQueue = (v) => PAD.top + plotH - (v / maxQueue) * plotH;

    // Grid and scales: one grid line per tick, both scales on it.
    left.forEach((tick, k) => {
      const y = ySynced(tick);
      svg.appendChild(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid" }));
      svg.appendChild(el("text", { x: PAD.left - 6, y: y + 4, class: "axis synced-axis", "text-anchor": "end" }, short(tick)));
      svg.appendChild(el("text", { x: W - PAD.right + 6, y: y + 4, class: "axis queue-axis", "text-anchor": "start" }, short(right[k])));
    });
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
    // Queue line: each minute's peak, then down (or up) to what waits now, at the right edge.
    if (points.length) {
      const last = points[points.length - 1];
      const path = points
        .map((p, i) => `${i ? "L" : "M"}${(x(i) + plotW / n / 2).toFixed(1)},${yQueue(peak(p)).toFixed(1)}`)
        .concat(`L${(PAD.left + plotW).toFixed(1)},${yQueue(last.queue).toFixed(1)}`)
        .join(" ");
      svg.appendChild(el("path", { d: path, class: "queue-line" }));
      svg.appendChild(el("circle", { cx: PAD.left + plotW, cy: yQueue(last.queue), r: 3.5, class: "queue-dot" }));
    }
    container.replaceChildren(svg);
  }

  function summary(chart, waitingNow) {
    const points = chart.points || [];
    const synced = points.reduce((sum, p) => sum + p.synced, 0);
    const most = points.reduce((max, p) => Math.max(max, peak(p)), 0);
    const now = waitingNow === undefined ? (points.length ? points[points.length - 1].queue : 0) : waitingNow;
    return `In the last hour ${synced} records were synced and at most ${most} waited at once; ${now} are waiting now.`;
  }

  window.TwentySyncChart = { draw, summary };
})();
