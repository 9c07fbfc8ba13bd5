// The task list, and the form that starts a batch task over a dataset column.

import { api, idempotencyKey } from "./api.js";
import { badge, busy, errorBox, field, h, replace, when } from "./dom.js";
import { flash, navigate } from "./shell.js";

// What each kind of model does, in words a new user recognises.
const KINDS = {
  text_classification: "labels each text (e.g. positive / neutral / negative)",
  text_embedding: "turns each text into a vector, for search and clustering",
  tabular_regression: "predicts a number from numeric columns",
};
const PAGE = 20;
const STATUSES = ["accepted", "queued", "running", "ready", "error", "cancelled"];

export function progressText(progress) {
  if (!progress.total) return "—";
  const share = Math.floor((progress.done / progress.total) * 100);
  return `${progress.done.toLocaleString()} / ${progress.total.toLocaleString()} (${share} %)`;
}

// "N rows/s, about M min left" while a running task has a rate; "" before that and after.
export function etaText(progress, now = Date.now()) {
  if (!progress.rows_per_second || !progress.estimated_completion) return "";
  const rate = progress.rows_per_second;
  const perSecond = rate >= 10 ? Math.round(rate).toLocaleString() : rate.toFixed(1);
  const minutes = Math.round((Date.parse(progress.estimated_completion) - now) / 60000);
  const left = minutes >= 1 ? `about ${minutes.toLocaleString()} min left` : "less than a minute left";
  return `${perSecond} rows/s, ${left}`;
}

function taskRow(t) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, h("a", { href: `/tasks/${t.id}`, "data-spa": true }, `Task ${t.id.slice(0, 8)}`)),
    h("td", {}, t.dataset_id
      ? h("a", { href: `/datasets/${t.dataset_id}`, "data-spa": true }, t.dataset_name ?? t.dataset_id.slice(0, 8))
      : "—"),
    h("td", {}, t.type),
    h("td", {}, t.model),
    h("td", {}, t.version ?? "—"),
    h("td", {}, badge(t.status)),
    h("td", { class: "num" }, progressText(t.progress)),
    h("td", {}, when(t.created_at)),
  );
}

export async function tasksView(root, { query }) {
  const status = h("select", { name: "status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s, selected: query.get("status") === s }, s)));
  const list = h("section", { "aria-label": "Tasks", "aria-live": "polite" });
  let cursor = null;
  let tbody = null;

  async function load(more = false) {
    const params = new URLSearchParams({ limit: PAGE });
    if (status.value) params.set("status", status.value);
    if (more && cursor) params.set("cursor", cursor);
    const page = await api(`/tasks?${params}`);
    cursor = page.next_cursor;
    if (!more) {
      if (!page.items.length) {
        replace(list, h("p", { class: "empty" }, status.value ? `No ${status.value} tasks.` : "No tasks yet."));
        return;
      }
      tbody = h("tbody");
      replace(list, h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Task", "Dataset", "Type", "Model", "Version", "Status", "Progress", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        tbody)));
    }
    tbody.append(...page.items.map(taskRow));
    list.querySelector(".more")?.remove();
    if (cursor) {
      const more = h("button", { type: "button", class: "more" }, "Show more");
      more.addEventListener("click", () => busy(more, () => load(true)).catch((e) => flash(e.message)));
      list.append(more);
    }
  }

  const show = () =>
    load().catch((problem) => {
      const error = errorBox();
      error.show(problem);
      replace(list, error);
    });
  status.addEventListener("change", () => {
    history.replaceState(null, "", status.value ? `/tasks?status=${status.value}` : "/tasks");
    show();
  });
  replace(root,
    h("h1", {}, "Tasks"),
    h("div", { class: "row actions" },
      h("a", { class: "button primary", href: "/tasks/new", "data-spa": true }, "New batch task"),
      h("a", { class: "button", href: "/analyse", "data-spa": true }, "Analyse one review")),
    h("div", { class: "filters" }, field("Status", status)),
    list);
  await show();
}

/** The model's versions, newest first, each with its card's macro-F1; "" is the default. */
function versionOptions(select, model) {
  const versions = model ? model.versions ?? [] : [];
  replace(select,
    h("option", { value: "" }, model ? `newest ready (${model.version})` : "newest ready"),
    versions.map((v) => h("option", { value: v.version },
      `${v.version}${v.card ? ` (macro-F1 ${v.card.macro_f1.toFixed(3)})` : ""}${v.ready ? "" : " not ready"}`)));
}

/** "" (no evaluation) or one of the dataset's columns holding expected labels. */
function labelOptions(select, dataset) {
  replace(select, h("option", { value: "" }, "none: no evaluation"),
    (dataset ? dataset.columns : []).map((c) => h("option", { value: c.name }, c.name)));
}

function columnOptions(select, dataset) {
  const columns = dataset ? dataset.columns : [];
  replace(select, columns.map((c) =>
    h("option", { value: c.name, selected: c.name === dataset.text_column },
      c.name === dataset.text_column ? `${c.name} (detected text column)` : `${c.name} (${c.type})`)));
  select.disabled = !columns.length;
}

export async function newTaskView(root, { query }) {
  replace(root, h("h1", {}, "New batch task"), h("p", { class: "muted" }, "Loading…"));
  const [models, datasets] = await Promise.all([api("/models"), api("/datasets?limit=100")]).catch((problem) => {
    const error = errorBox();
    error.show(problem);
    replace(root, h("h1", {}, "New batch task"), error);
    return [null, null];
  });
  if (!models) return;
  if (!datasets.items.length) {
    replace(root, h("h1", {}, "New batch task"),
      h("p", { class: "empty" }, "Upload a dataset first: ", h("a", { href: "/datasets", "data-spa": true }, "go to datasets"), "."));
    return;
  }
  const wanted = query.get("dataset");
  const model = h("select", { name: "model" }, models.items.map((m) =>
    h("option", { value: m.name, selected: m.name === "sentiment" }, m.ready ? `${m.name}: ${KINDS[m.kind] ?? m.kind}` : `${m.name}: ${KINDS[m.kind] ?? m.kind} (not ready)`)));
  const dataset = h("select", { name: "dataset" }, datasets.items.map((d) =>
    h("option", { value: d.id, selected: d.id === wanted }, `${d.name} (${d.rows.toLocaleString()} rows)`)));
  const column = h("select", { name: "column" });
  const limit = h("input", { type: "number", name: "limit", min: 1, step: 1, inputmode: "numeric", placeholder: "all rows" });
  const version = h("select", { name: "version" });
  const labels = h("select", { name: "label_column" });
  const byId = (id) => datasets.items.find((d) => d.id === id);
  const modelNamed = (name) => models.items.find((m) => m.name === name);
  columnOptions(column, byId(dataset.value));
  versionOptions(version, modelNamed(model.value));
  labelOptions(labels, byId(dataset.value));
  dataset.addEventListener("change", () => {
    columnOptions(column, byId(dataset.value));
    labelOptions(labels, byId(dataset.value));
  });
  model.addEventListener("change", () => versionOptions(version, modelNamed(model.value)));
  const error = errorBox();
  const button = h("button", { type: "submit", class: "primary" }, "Start task");
  let key = idempotencyKey();
  const form = h("form", { class: "card" },
    field("Model", model),
    field("Version", version, "The task keeps the version it starts with."),
    field("Dataset", dataset),
    field("Column to read", column, "The detected text column is chosen for you."),
    field("Label column (optional)", labels, "Expected labels: the task then scores the model (accuracy, F1, confusion matrix)."),
    field("Sample size (optional)", limit, "Only the first N rows; leave empty for every row."),
    error,
    button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const body = { type: "batch", model: model.value, dataset_id: dataset.value, column: column.value || null };
    if (limit.value) body.limit = Number(limit.value);
    if (version.value) body.version = version.value;
    if (labels.value) body.label_column = labels.value;
    try {
      const task = await busy(button, () => api("/tasks", { method: "POST", json: body, headers: key }), "Starting…");
      navigate(`/tasks/${task.id}`);
    } catch (problem) {
      key = idempotencyKey(); // the next try may change the form: a new request, a new key
      error.show(problem);
    }
  });
  replace(root, h("h1", {}, "New batch task"),
    h("p", {}, "Run a model on every row of a dataset column, or on a sample of the first rows."),
    form);
}
