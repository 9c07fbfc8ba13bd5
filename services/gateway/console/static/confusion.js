// An evaluation's figures and confusion matrix as HTML tables; cells are shaded by CSS
// classes (heat-0 … heat-5, the share of the expected row), as the CSP forbids inline styles.

import { h } from "./dom.js";

const LEVELS = 5;
const fixed = (value) => value.toFixed(3);

function heat(count, rowTotal) {
  return rowTotal ? Math.round((count / rowTotal) * LEVELS) : 0;
}

/** rows expected as labels[i], predicted as labels[j]: one table, totals on the right. */
export function confusionMatrix(evaluation) {
  const { labels, confusion_matrix: matrix } = evaluation;
  return h("div", { class: "table-wrap" }, h("table", { class: "confusion" },
    h("caption", {}, "Confusion matrix: rows are the expected labels, columns the predicted ones"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "expected \\ predicted"),
      labels.map((label) => h("th", { scope: "col" }, label)),
      h("th", { scope: "col" }, "total"))),
    h("tbody", {}, labels.map((label, i) => {
      const total = matrix[i].reduce((a, b) => a + b, 0);
      return h("tr", {},
        h("th", { scope: "row" }, label),
        matrix[i].map((count, j) => h("td", {
          class: `num heat-${heat(count, total)}${i === j ? " diagonal" : ""}`,
          title: `${count.toLocaleString()} expected ${label}, predicted ${labels[j]}`,
        }, count.toLocaleString())),
        h("td", { class: "num" }, total.toLocaleString()));
    }))));
}

/** Accuracy, macro-F1, the rows left out, per-label figures and the matrix. */
export function evaluationView(evaluation) {
  const e = evaluation;
  return h("section", { "aria-labelledby": "evaluation-title" },
    h("h2", { id: "evaluation-title" }, `Evaluation against “${e.label_column}”`),
    h("p", { class: "verdict" },
      `Accuracy ${fixed(e.accuracy)} · macro-F1 ${fixed(e.macro_f1)} over ${e.evaluated.toLocaleString()} rows`),
    e.unknown_labels || e.unlabelled
      ? h("p", { class: "hint" },
        `Not compared: ${e.unknown_labels.toLocaleString()} rows with a label the model does not have, `
        + `${e.unlabelled.toLocaleString()} without a label.`)
      : null,
    h("div", { class: "table-wrap" }, h("table", { class: "per-class" },
      h("caption", {}, "Per label"),
      h("thead", {}, h("tr", {}, ["Label", "Precision", "Recall", "F1", "Support"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, e.per_class.map((c) => h("tr", {},
        h("th", { scope: "row" }, c.label),
        h("td", { class: "num" }, fixed(c.precision)),
        h("td", { class: "num" }, fixed(c.recall)),
        h("td", { class: "num" }, fixed(c.f1)),
        h("td", { class: "num" }, c.support.toLocaleString())))))),
    confusionMatrix(e));
}
