// Account → Webhooks: your endpoints (state, add with the secret shown once, rotate, delete).

import { api } from "./api.js";
import { badge, busy, errorBox, field, h, replace, when } from "./dom.js";
import { flash } from "./shell.js";

const PAGE = 50;

/** The secret, once: read-only text with a copy button, and why it will not be shown again. */
function secretPanel(endpoint, heading) {
  const text = h("input", { type: "text", readonly: true, value: endpoint.secret, class: "share-url secret" });
  const copy = h("button", { type: "button" }, "Copy secret");
  const copied = h("span", { class: "hint", role: "status" });
  copy.addEventListener("click", async () => {
    text.select();
    try {
      await navigator.clipboard.writeText(endpoint.secret);
    } catch {
      document.execCommand("copy"); // older browsers; the text is selected either way
    }
    copied.textContent = "Copied.";
  });
  return h("div", { class: "success secret-panel" },
    h("h3", {}, heading),
    field(`Signing secret of ${endpoint.url}`, text,
      "This is the only time it is shown. Your receiver verifies each delivery's webhook-signature with it (Standard Webhooks)."),
    h("div", { class: "row" }, copy, copied));
}

function addForm(onAdded) {
  const url = h("input", { type: "url", name: "url", required: true, placeholder: "https://example.com/hooks/inferlane", autocomplete: "off" });
  const description = h("input", { type: "text", name: "description", maxlength: 500, autocomplete: "off" });
  const error = errorBox();
  const button = h("button", { type: "submit", class: "primary" }, "Add endpoint");
  const form = h("form", { class: "card", "aria-labelledby": "add-title" },
    h("h2", { id: "add-title" }, "Add an endpoint"),
    field("URL", url, "http or https. Inferlane POSTs an event here when one of your tasks is ready, fails or is cancelled."),
    field("Description (optional)", description),
    h("div", { class: "row" }, button),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const body = { url: url.value.trim(), description: description.value.trim() };
      const endpoint = await busy(button, () => api("/webhooks", { method: "POST", json: body }), "Adding…");
      form.reset();
      await onAdded(endpoint);
    } catch (problem) {
      error.show(problem);
    }
  });
  return form;
}

/** Delete asks once more, as cancelling a task does: it cannot be undone. */
function deleteControl(endpoint, error, onDeleted) {
  const area = h("span", { class: "row" });
  const ask = h("button", { type: "button", class: "danger" }, "Delete");
  ask.addEventListener("click", () => {
    error.clear();
    const yes = h("button", { type: "button", class: "danger" }, "Yes, delete it");
    const no = h("button", { type: "button" }, "Keep it");
    yes.addEventListener("click", async () => {
      try {
        await busy(yes, () => api(`/webhooks/${endpoint.id}`, { method: "DELETE" }), "Deleting…");
        flash(`Deleted the endpoint ${endpoint.url}.`);
        await onDeleted();
      } catch (problem) {
        error.show(problem);
      }
    });
    no.addEventListener("click", () => {
      replace(area, ask);
      ask.focus();
    });
    replace(area, h("span", {}, "Delete this endpoint? Its pending deliveries go with it."), yes, no);
    no.focus();
  });
  return replace(area, ask);
}

function endpointRow(endpoint, { error, secrets, reload }) {
  const rotate = h("button", { type: "button" }, "Rotate secret");
  rotate.addEventListener("click", async () => {
    error.clear();
    try {
      const rotated = await busy(rotate, () => api(`/webhooks/${endpoint.id}/rotate-secret`, { method: "POST" }), "Rotating…");
      replace(secrets, secretPanel(rotated, "New secret: the old one no longer signs"));
      secrets.querySelector("input").focus();
    } catch (problem) {
      error.show(problem);
    }
  });
  const state = endpoint.state === "disabled"
    ? [badge("disabled"), h("p", { class: "hint" }, endpoint.disabled_reason ?? "")]
    : badge("active");
  return h("tr", {},
    h("td", { "data-label": "URL", class: "url" },
      h("a", { href: `/account/webhooks/${endpoint.id}`, "data-spa": true }, endpoint.url),
      endpoint.description ? h("p", { class: "hint" }, endpoint.description) : null),
    h("td", { "data-label": "State" }, state),
    h("td", { "data-label": "Added" }, when(endpoint.created_at)),
    h("td", { "data-label": "Actions" }, h("div", { class: "row" },
      h("a", { href: `/account/webhooks/${endpoint.id}`, "data-spa": true, "aria-label": `Deliveries of ${endpoint.url}` }, "Deliveries"),
      rotate, deleteControl(endpoint, error, reload))));
}

export async function webhooksView(root) {
  const list = h("section", { "aria-labelledby": "list-title" });
  const secrets = h("div", { "aria-live": "polite" });
  const error = errorBox();

  async function load() {
    const page = await api(`/webhooks?limit=${PAGE}`);
    if (!page.items.length) {
      replace(list, h("h2", { id: "list-title" }, "Your endpoints"), error,
        h("p", { class: "empty" }, "No endpoints yet. Add one to be told when your tasks finish."));
      return;
    }
    const context = { error, secrets, reload: load };
    replace(list, h("h2", { id: "list-title" }, "Your endpoints"), error,
      h("div", { class: "table-wrap" }, h("table", { class: "results webhooks" },
        h("thead", {}, h("tr", {}, ["URL", "State", "Added", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, page.items.map((endpoint) => endpointRow(endpoint, context))))),
      page.next_cursor ? h("p", { class: "hint" }, `Showing your newest ${PAGE} endpoints.`) : null);
  }

  const onAdded = async (endpoint) => {
    replace(secrets, secretPanel(endpoint, "Endpoint added"));
    await load();
    secrets.querySelector("input").focus();
  };
  replace(root,
    h("p", { class: "crumbs" }, "Account"),
    h("h1", {}, "Webhooks"),
    h("p", {}, "Signed events (Standard Webhooks) for your tasks' ends: ready, error, cancelled."),
    addForm(onAdded), secrets, list);
  try {
    await load();
  } catch (problem) {
    error.show(problem);
    replace(list, error);
  }
}
