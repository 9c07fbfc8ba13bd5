// One webhook endpoint's delivery log: one row per attempt, newest first, paged.

import { api } from "./api.js";
import { badge, busy, errorBox, h, replace, when } from "./dom.js";
import { flash } from "./shell.js";

const PAGE = 50;

function attemptRow(a) {
  const answer = a.status_code ?? "no answer";
  return h("tr", {},
    h("td", { "data-label": "Time" }, when(a.at)),
    h("td", { "data-label": "Event" }, a.event_type),
    h("td", { "data-label": "Task" }, h("a", { href: `/tasks/${a.task_id}`, "data-spa": true }, a.task_id)),
    h("td", { "data-label": "Attempt", class: "num" }, a.attempt),
    h("td", { "data-label": "Status code", class: a.status_code && a.status_code < 300 ? "num" : "num failed" }, answer),
    h("td", { "data-label": "Latency", class: "num" }, `${Math.round(a.latency_ms)} ms`),
    h("td", { "data-label": "Error" }, a.error ?? "—"));
}

export async function webhookDeliveriesView(root, { params: [id] }) {
  const heading = h("h1", {}, "Deliveries");
  const facts = h("p");
  const list = h("section", { "aria-labelledby": "log-title" });
  const error = errorBox();
  let cursor = null;
  let tbody = null;

  async function load(more = false) {
    const query = new URLSearchParams({ limit: PAGE });
    if (more && cursor) query.set("cursor", cursor);
    const page = await api(`/webhooks/${encodeURIComponent(id)}/deliveries?${query}`);
    cursor = page.next_cursor;
    if (!more) {
      replace(facts, "Endpoint ", h("strong", { class: "hash" }, page.endpoint.url), " is ", badge(page.endpoint.state),
        page.endpoint.disabled_reason ? ` (${page.endpoint.disabled_reason})` : "", ".");
      if (!page.items.length) {
        replace(list, h("h2", { id: "log-title" }, "Attempts"), h("p", { class: "empty" }, "No deliveries yet: they come when one of your tasks finishes."));
        return;
      }
      tbody = h("tbody");
      replace(list, h("h2", { id: "log-title" }, "Attempts"),
        h("div", { class: "table-wrap" }, h("table", { class: "results" },
          h("thead", {}, h("tr", {}, ["Time", "Event", "Task", "Attempt", "Status code", "Latency", "Error"].map((t) => h("th", { scope: "col" }, t)))),
          tbody)));
    }
    tbody.append(...page.items.map(attemptRow));
    list.querySelector(".more")?.remove();
    if (cursor) {
      const more = h("button", { type: "button", class: "more" }, "Show more");
      more.addEventListener("click", () => busy(more, () => load(true)).catch((e) => flash(e.message)));
      list.append(more);
    }
  }

  replace(root,
    h("p", { class: "crumbs" }, h("a", { href: "/account/webhooks", "data-spa": true }, "Account → Webhooks")),
    heading, facts, error, list);
  try {
    await load();
  } catch (problem) {
    error.show(problem);
  }
}
