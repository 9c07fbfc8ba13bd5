// A task's audit trail on its page: what happened, when, by whom; "Show more" pages on.

import { api } from "./api.js";
import { errorBox, h, replace, when } from "./dom.js";

const PAGE = 50;

function detailsText(details) {
  return Object.entries(details ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
}

function entryRow(e) {
  return h("tr", {},
    h("td", {}, when(e.occurred_at)),
    h("td", {}, e.event),
    h("td", { class: "text" }, e.actor_id ? e.actor_id.slice(0, 8) : "platform"),
    h("td", { class: "text" }, detailsText(e.details)));
}

export function auditTrail(task) {
  const rows = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Show more");
  const error = errorBox();
  let cursor = null;
  async function load() {
    const query = new URLSearchParams({ limit: PAGE });
    if (cursor) query.set("cursor", cursor);
    try {
      const page = await api(`/tasks/${task.id}/audit?${query}`);
      page.items.forEach((e) => rows.append(entryRow(e)));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (problem) {
      error.show(problem);
    }
  }
  more.addEventListener("click", load);
  const section = h("section", { "aria-labelledby": "audit-title" });
  replace(section, h("h2", { id: "audit-title" }, "Audit trail"),
    h("div", { class: "table-wrap" }, h("table", { class: "audit", id: "audit-trail" },
      h("thead", {}, h("tr", {}, ["When", "Event", "By", "Details"].map((t) => h("th", { scope: "col" }, t)))),
      rows)),
    h("div", { class: "row pager" }, more), error);
  load();
  return section;
}
