// Search a finished embedding task: the rows nearest to a text, with their cosine similarity.

import { api } from "./api.js";
import { busy, errorBox, field, h, replace } from "./dom.js";

const MAX_CHARS = 512;

function hitRow(hit) {
  return h("tr", {},
    h("td", { class: "num" }, hit.row_index + 1), // rows are numbered from 1 on every page
    h("td", { class: "num similarity" }, hit.similarity.toFixed(3)),
    h("td", { class: "text" }, hit.text));
}

/** A search box on the page of a ready batch task of an embedding model. */
export function searchBox(task) {
  const query = h("input", { type: "search", name: "query", maxlength: MAX_CHARS, required: true, placeholder: "zipper broke after a week" });
  const k = h("input", { type: "number", name: "k", min: 1, max: 100, value: 10, required: true });
  const error = errorBox();
  const results = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, "Search");
  const form = h("form", { class: "card", role: "search" },
    field("Find rows like", query, "A text; rows are ranked by cosine similarity of their embeddings."),
    field("How many", k),
    error,
    button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const found = await busy(button, () =>
        api(`/tasks/${task.id}/search`, { method: "POST", json: { query: query.value, k: Number(k.value) } }),
      "Searching…");
      replace(results, found.items.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "results search-results" },
          h("caption", {}, `${found.items.length} nearest rows`),
          h("thead", {}, h("tr", {}, ["Row", "Similarity", "Text"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, found.items.map(hitRow))))
        : h("p", { class: "empty" }, "No rows found."));
    } catch (problem) {
      results.replaceChildren();
      error.show(problem);
    }
  });
  return h("section", { "aria-labelledby": "search-title" }, h("h2", { id: "search-title" }, "Search"), form, results);
}

/** Only a finished batch of the embedding model has vectors to search. */
export function searchable(task) {
  return task.status === "ready" && task.type === "batch" && task.model === "embedding";
}
