// A dataset's first rows as a table, numbered from 1 like result pages and exports.

import { h } from "./dom.js";

export function previewTable(dataset) {
  if (!dataset.preview.length) return h("p", { class: "empty" }, "The dataset has no rows.");
  const names = dataset.columns.map((c) => c.name);
  return h("div", { class: "table-wrap" }, h("table", { class: "preview" },
    h("caption", {}, `First ${dataset.preview.length} of ${dataset.rows.toLocaleString()} rows`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), names.map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, dataset.preview.map((r, i) =>
      h("tr", {}, h("td", { class: "num" }, i + 1), names.map((n) => h("td", {}, r[n] === null || r[n] === undefined ? "" : String(r[n])))))),
  ));
}
