// One task: live progress over Server-Sent Events, the label chart, paged results, exports.

import { api } from "./api.js";
import { auditTrail } from "./audit.js";
import { badge, busy, errorBox, h, replace, when } from "./dom.js";
import { labelChart, scoreChart } from "./chart.js";
import { evaluationView } from "./confusion.js";
import { searchable, searchBox } from "./search.js";
import { etaText, progressText } from "./tasks.js";

const FINISHED = new Set(["ready", "error", "cancelled"]);
const PAGE = 20;
const RESULT_COLUMNS = ["Row", "Input", "Label", "Scores"];

function scoresText(scores) {
  return Object.entries(scores)
    .sort(([, a], [, b]) => b - a)
    .map(([label, p]) => `${label} ${p.toFixed(2)}`)
    .join(" · ");
}

function inputText(input) {
  const values = Object.values(input ?? {});
  return values.length === 1 ? String(values[0]) : JSON.stringify(input);
}

function resultRow(r) {
  let outcome;
  if (r.error) outcome = [h("td", { class: "failed" }, `failed (${r.error.code})`), h("td", {}, r.error.message)];
  else if (r.label) outcome = [h("td", {}, h("span", { class: `label label-${r.label}` }, r.label)), h("td", { class: "scores" }, scoresText(r.scores))];
  else {
    const text = JSON.stringify(r.output);
    outcome = [h("td", {}, "—"), h("td", { class: "scores" }, text.length > 120 ? `${text.slice(0, 120)}…` : text)];
  }
  const row = h("tr", {}, h("td", { class: "num" }, r.row_index + 1), h("td", { class: "text" }, inputText(r.input)), outcome);
  // Narrow screens stack each row as a card: every cell names its column (style.css).
  RESULT_COLUMNS.forEach((name, i) => row.children[i]?.setAttribute("data-label", name));
  return row;
}

/** Results a page at a time; the cursors seen so far make "Previous" possible. */
function resultsTable(task) {
  const section = h("section", { "aria-labelledby": "results-title" });
  const body = h("div", { "aria-live": "polite" });
  const cursors = [null];
  let at = 0;
  async function show(index) {
    const query = new URLSearchParams({ limit: PAGE });
    if (cursors[index]) query.set("cursor", cursors[index]);
    let page;
    try {
      page = await api(`/tasks/${task.id}/results?${query}`);
    } catch (problem) {
      const error = errorBox();
      error.show(problem);
      replace(body, error);
      return;
    }
    at = index;
    cursors[index + 1] = page.next_cursor;
    const prev = h("button", { type: "button", disabled: at === 0 }, "Previous page");
    const next = h("button", { type: "button", disabled: !page.next_cursor }, "Next page");
    prev.addEventListener("click", () => show(at - 1));
    next.addEventListener("click", () => show(at + 1));
    const first = at * PAGE + 1;
    replace(body,
      page.items.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "results" },
          h("caption", {}, `Rows ${first}–${first + page.items.length - 1}`),
          h("thead", {}, h("tr", {}, RESULT_COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, page.items.map(resultRow))))
        : h("p", { class: "empty" }, "No results."),
      h("div", { class: "row pager" }, prev, next));
  }
  replace(section, h("h2", { id: "results-title" }, "Results"),
    h("p", { class: "hint", id: "scores-meaning" },
      "Scores are the model's confidence in each label, from 0 to 1 (a row's scores add up to 1); its label is the one with the highest score."),
    body);
  show(0);
  return section;
}

function downloads(task) {
  const link = (format, text) =>
    h("a", { class: "button", href: `/api/v1/tasks/${task.id}/results?format=${format}`, download: "" }, text);
  return h("div", { class: "row actions" }, link("csv", "Download CSV"), link("jsonl", "Download JSONL"));
}

export async function taskView(root, { params: [id] }) {
  let task;
  try {
    task = await api(`/tasks/${encodeURIComponent(id)}`);
  } catch (problem) {
    const error = errorBox();
    error.show(problem.status === 404 || problem.status === 422
      ? { title: "Task not found.", message: "There is no task of yours at this address." }
      : problem);
    replace(root, h("h1", {}, "Task"), error, h("p", {}, h("a", { href: "/tasks", "data-spa": true }, "Back to your tasks")));
    return;
  }

  const status = h("p", { class: "status", role: "status" });
  const bar = h("progress", { id: "task-progress", "aria-labelledby": "progress-title" });
  const barText = h("p", { id: "progress-text", class: "progress-text" });
  const cancelError = errorBox();
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel task");
  const outcome = h("div");
  const facts = h("dl", { class: "facts" });
  const cancelArea = h("div", { class: "row" }, cancel);
  // Cancelling cannot be undone: one more click, as for deleting a dataset.
  cancel.addEventListener("click", () => {
    cancelError.clear();
    const yes = h("button", { type: "button", class: "danger" }, "Yes, cancel it");
    const no = h("button", { type: "button" }, "Keep it running");
    yes.addEventListener("click", async () => {
      try {
        update(await busy(yes, () => api(`/tasks/${task.id}/cancel`, { method: "POST" }), "Cancelling…"));
        replace(cancelArea, cancel);
      } catch (problem) {
        cancelError.show(problem);
      }
    });
    no.addEventListener("click", () => {
      replace(cancelArea, cancel);
      cancel.focus();
    });
    replace(cancelArea, h("span", {}, "Cancel this task? Rows not yet done will not be run."), yes, no);
    no.focus();
  });

  function showProgress(progress) {
    if (progress.total > 0) {
      bar.max = progress.total;
      bar.value = progress.done;
    } else {
      bar.removeAttribute("value"); // indeterminate until the rows are counted
    }
    const failed = progress.failed ? `, ${progress.failed.toLocaleString()} failed` : "";
    const eta = etaText(progress);
    const rate = eta ? ` · ${eta}` : "";
    barText.textContent = progress.total ? `${progressText(progress)} rows${failed}${rate}` : "Waiting to start…";
  }

  let shownOutcome = false;
  let stopFollowing = null;
  function update(next) {
    // The event stream and the cancel answer race: a look taken before the task ended can
    // arrive after the answer that says it ended. An ended task stays ended.
    if (FINISHED.has(task.status) && !FINISHED.has(next.status)) return;
    // So can two looks at the ended task (a chunk in flight at a cancel is counted just
    // after it): the one with fewer rows done is the older, and would undo the bar.
    if (FINISHED.has(task.status) && next.progress.done < task.progress.done) return;
    task = next;
    replace(status, "Status: ", badge(task.status));
    replace(facts,
      h("dt", {}, "Model"), h("dd", {}, task.model),
      task.version ? [h("dt", {}, "Version"), h("dd", { id: "task-version" }, task.version)] : null,
      h("dt", {}, "Type"), h("dd", {}, task.type),
      task.dataset_id ? [h("dt", {}, "Dataset"), h("dd", {}, h("a", { href: `/datasets/${task.dataset_id}`, "data-spa": true }, task.dataset_name ?? "open dataset"))] : null,
      task.column ? [h("dt", {}, "Column"), h("dd", {}, task.column)] : null,
      task.label_column ? [h("dt", {}, "Label column"), h("dd", {}, task.label_column)] : null,
      task.id_column ? [h("dt", {}, "Your row ids"), h("dd", {}, task.id_column)] : null,
      task.limit ? [h("dt", {}, "Sample"), h("dd", {}, `first ${task.limit.toLocaleString()} rows`)] : null,
      h("dt", {}, "Created"), h("dd", {}, when(task.created_at)),
      h("dt", {}, "Finished"), h("dd", {}, when(task.finished_at)),
      task.expires_at ? [h("dt", {}, "Results kept until"), h("dd", { id: "task-expires" }, when(task.expires_at))] : null);
    showProgress(task.progress);
    const finished = FINISHED.has(task.status);
    cancelArea.hidden = finished;
    if (finished && !shownOutcome) {
      shownOutcome = true;
      stopFollowing?.(); // nothing newer can come, and a late progress event would undo the bar
      showOutcome();
    }
  }

  function showOutcome() {
    const parts = [];
    if (task.status === "error" && task.error) {
      parts.push(h("div", { class: "error", role: "alert" }, h("strong", {}, `Failed (code ${task.error.code}).`), " ", task.error.message));
    }
    const done = task.progress.done;
    if (task.status === "cancelled") {
      parts.push(h("p", { class: "notice" }, done > 0
        ? `This task was cancelled after ${done.toLocaleString()} of ${task.progress.total.toLocaleString()} rows; their results are kept below.`
        : "This task was cancelled before any row was done, so it has no results."));
    }
    if (task.summary && task.type === "single") {
      parts.push(h("section", { "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, "Result"),
        h("p", { class: "verdict" }, "Label: ", h("span", { class: `label label-${task.summary.label}` }, task.summary.label ?? "—")),
        Object.keys(task.summary.scores ?? {}).length ? scoreChart(task.summary.scores) : null));
    } else if (task.summary && Object.values(task.summary.counts ?? {}).some((n) => n > 0)) {
      parts.push(h("section", { "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, "Labels"),
        labelChart(task.summary),
        task.summary.failed ? h("p", { class: "hint" }, `${task.summary.failed.toLocaleString()} rows failed.`) : null));
    }
    if (task.summary?.evaluation) parts.push(evaluationView(task.summary.evaluation));
    if (searchable(task)) parts.push(searchBox(task));
    if (done > 0) { // nothing to export or page through otherwise
      parts.push(h("section", { "aria-labelledby": "downloads-title" }, h("h2", { id: "downloads-title" }, "Export"), downloads(task)));
      parts.push(resultsTable(task));
    }
    parts.push(auditTrail(task));
    replace(outcome, parts);
  }

  replace(root,
    h("p", { class: "crumbs" }, h("a", { href: "/tasks", "data-spa": true }, "Tasks")),
    h("h1", {}, `Task ${task.id.slice(0, 8)}`),
    status,
    facts,
    h("section", { class: "card", "aria-labelledby": "progress-title" },
      h("h2", { id: "progress-title" }, "Progress"), bar, barText, cancelArea, cancelError),
    outcome);
  update(task);
  if (FINISHED.has(task.status)) return null;
  stopFollowing = follow(task.id, update, (progress) => FINISHED.has(task.status) || showProgress(progress));
  return stopFollowing;
}

/** Follow the task's events; the stream ends after a terminal status. Returns a stopper. */
function follow(id, onTask, onProgress) {
  let source = null;
  let stopped = false;
  let retries = 0;
  const open = () => {
    source = new EventSource(`/api/v1/tasks/${id}/events`);
    source.addEventListener("task", (e) => {
      retries = 0;
      const task = JSON.parse(e.data);
      onTask(task);
      if (FINISHED.has(task.status)) stop();
    });
    source.addEventListener("progress", (e) => onProgress(JSON.parse(e.data)));
    source.addEventListener("error", async () => {
      // The connection dropped, or the server ended the stream with an `error` event:
      // read the task once (this also renews an expired session), then listen again.
      source.close();
      if (stopped) return;
      try {
        const task = await api(`/tasks/${id}`);
        onTask(task);
        if (FINISHED.has(task.status)) return stop();
      } catch {
        // Keep trying a while; the server may be restarting.
      }
      retries += 1;
      if (!stopped) setTimeout(() => !stopped && open(), Math.min(1000 * retries, 10000));
    });
  };
  const stop = () => {
    stopped = true;
    source?.close();
  };
  open();
  return stop;
}
