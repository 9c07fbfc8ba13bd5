// Horizontal bars as inline SVG built with DOM calls (no inline styles: the CSP forbids them).

import { h, percent, s } from "./dom.js";

const ORDER = ["positive", "neutral", "negative"];
const ROW = 34;
const LABEL_WIDTH = 120;
const BAR_WIDTH = 360;
const WIDTH = 640;

/** Known labels first, in a fixed order, then the rest alphabetically. */
export function sortLabels(labels) {
  const rank = (label) => (ORDER.includes(label) ? ORDER.indexOf(label) : ORDER.length);
  return [...labels].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * bars: [{label, share (0..100), text}] → a figure with an SVG chart; the chart's title
 * repeats every value, so a screen reader gets the numbers rather than the shapes.
 */
export function barChart(bars, caption) {
  const id = `chart-${Math.random().toString(36).slice(2, 9)}`;
  const summary = bars.map((b) => `${b.label}: ${b.text}`).join("; ");
  const svg = s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${WIDTH} ${bars.length * ROW}`,
      role: "img",
      "aria-labelledby": `${id}-title`,
      preserveAspectRatio: "xMinYMin meet",
    },
    s("title", { id: `${id}-title` }, `${caption}: ${summary}`),
  );
  bars.forEach((bar, i) => {
    const y = i * ROW;
    const width = Math.max(0, Math.min(100, bar.share)) * (BAR_WIDTH / 100);
    const kind = ORDER.includes(bar.label) ? bar.label : "other";
    svg.append(
      s("text", { x: 0, y: y + ROW / 2, class: "chart-label", "dominant-baseline": "middle" }, bar.label),
      s("rect", { x: LABEL_WIDTH, y: y + 6, width: BAR_WIDTH, height: ROW - 12, rx: 3, class: "chart-track" }),
      s("rect", { x: LABEL_WIDTH, y: y + 6, width, height: ROW - 12, rx: 3, class: `chart-bar chart-${kind}` }),
      s("text", { x: LABEL_WIDTH + BAR_WIDTH + 10, y: y + ROW / 2, class: "chart-value", "dominant-baseline": "middle" }, bar.text),
    );
  });
  return h("figure", { class: "chart-figure" }, svg, h("figcaption", {}, caption));
}

/** A batch summary {counts, percentages, failed} as a chart of rows per label. */
export function labelChart(summary) {
  const labels = sortLabels(Object.keys(summary.counts ?? {}));
  const bars = labels.map((label) => ({
    label,
    share: summary.percentages?.[label] ?? 0,
    text: `${percent(summary.percentages?.[label] ?? 0)} (${(summary.counts[label] ?? 0).toLocaleString()})`,
  }));
  return barChart(bars, "Rows per label");
}

/** A prediction's scores {label: p} as a chart, highest first. */
export function scoreChart(scores) {
  const bars = Object.entries(scores)
    .sort(([, a], [, b]) => b - a)
    .map(([label, p]) => ({ label, share: p * 100, text: percent(p * 100) }));
  return barChart(bars, "Score per label");
}
