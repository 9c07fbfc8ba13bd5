// A dataset page's "Tasks on this dataset": the batch tasks run over it, newest first.

import { api } from "./api.js";
import { badge, busy, errorBox, h, replace, when } from "./dom.js";
import { flash } from "./shell.js";

const PAGE = 20;

function taskRow(t) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, h("a", { href: `/tasks/${t.id}`, "data-spa": true }, `Task ${t.id.slice(0, 8)}`)),
    h("td", {}, t.model),
    h("td", {}, badge(t.status)),
    h("td", {}, when(t.created_at)),
  );
}

/** The section; it fills itself in (a failure shows in place, the rest of the page stays). */
export function datasetTasks(dataset) {
  const list = h("div", { class: "dataset-tasks", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  let cursor = null;
  let tbody = null;

  async function load(more = false) {
    const query = new URLSearchParams({ dataset_id: dataset.id, limit: PAGE });
    if (more && cursor) query.set("cursor", cursor);
    const page = await api(`/tasks?${query}`);
    cursor = page.next_cursor;
    if (!more) {
      if (!page.items.length) {
        // The page's own "Run a model on it" button is the way to start one: a second link of
        // the same name would only be a duplicate for screen-reader users.
        replace(list, h("p", { class: "empty" }, "No tasks on this dataset yet."));
        return;
      }
      tbody = h("tbody");
      replace(list, h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Task", "Model", "Status", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        tbody)));
    }
    tbody.append(...page.items.map(taskRow));
    list.querySelector(".more")?.remove();
    if (cursor) {
      const button = h("button", { type: "button", class: "more" }, "Show more");
      button.addEventListener("click", () => busy(button, () => load(true)).catch((e) => flash(e.message)));
      list.append(button);
    }
  }

  load().catch((problem) => {
    const error = errorBox();
    error.show(problem);
    replace(list, error);
  });
  return h("section", { "aria-labelledby": "dataset-tasks-title" },
    h("h2", { id: "dataset-tasks-title" }, "Tasks on this dataset"), list);
}
