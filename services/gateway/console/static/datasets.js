// Datasets: upload with progress, the list, one dataset's preview, share links, delete.

import { api, upload } from "./api.js";
import { datasetTasks } from "./dataset_tasks.js";
import { busy, bytes, errorBox, field, h, replace, when } from "./dom.js";
import { previewTable } from "./preview.js";
import { flash, navigate } from "./shell.js";

const PAGE = 20;

function uploadForm(onUploaded) {
  const file = h("input", {
    type: "file",
    name: "file",
    required: true,
    accept: ".csv,.tsv,.json,.jsonl,.ndjson,.gz,text/csv,application/json",
  });
  const progress = h("progress", { max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const error = errorBox();
  const button = h("button", { type: "submit", class: "primary" }, "Upload");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title" }, "Upload a dataset"),
    field("File", file, "CSV, TSV, JSON or JSONL in UTF-8 (gzip is fine), up to 50 MB. The format is read from the content."),
    h("div", { class: "row" }, button, progress),
    status,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const chosen = file.files[0];
    if (!chosen) return;
    const body = new FormData();
    body.append("file", chosen, chosen.name);
    progress.hidden = false;
    progress.value = 0;
    status.textContent = `Uploading ${chosen.name}…`;
    try {
      const dataset = await busy(button, () =>
        upload("/datasets", body, (loaded, total) => {
          progress.value = Math.round((loaded / total) * 100);
        }),
      "Uploading…");
      progress.value = 100;
      status.textContent = "";
      form.reset();
      progress.hidden = true;
      onUploaded(dataset);
    } catch (problem) {
      progress.hidden = true;
      status.textContent = "";
      error.show(problem);
    }
  });
  return form;
}

function datasetRow(d) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, h("a", { href: `/datasets/${d.id}`, "data-spa": true }, d.name)),
    h("td", {}, d.format.toUpperCase()),
    h("td", { class: "num" }, d.rows.toLocaleString()),
    h("td", { class: "num" }, bytes(d.size_bytes)),
    h("td", {}, d.text_column ?? "—"),
    h("td", {}, when(d.created_at)),
  );
}

export async function datasetsView(root) {
  const list = h("section", { "aria-labelledby": "list-title" });
  const notice = h("div", { "aria-live": "polite" });
  let cursor = null;
  let tbody = null;

  async function load(more = false) {
    const query = new URLSearchParams({ limit: PAGE });
    if (more && cursor) query.set("cursor", cursor);
    const page = await api(`/datasets?${query}`);
    cursor = page.next_cursor;
    if (!more) {
      if (!page.items.length) {
        replace(list, h("h2", { id: "list-title" }, "Your datasets"), h("p", { class: "empty" }, "No datasets yet. Upload a file to start."));
        return;
      }
      tbody = h("tbody");
      replace(
        list,
        h("h2", { id: "list-title" }, "Your datasets"),
        h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Name", "Format", "Rows", "Size", "Text column", "Uploaded"].map((t) => h("th", { scope: "col" }, t)))),
          tbody)),
      );
    }
    tbody.append(...page.items.map(datasetRow));
    list.querySelector(".more")?.remove();
    if (cursor) {
      const more = h("button", { type: "button", class: "more" }, "Show more");
      more.addEventListener("click", () => busy(more, () => load(true)).catch((e) => flash(e.message)));
      list.append(more);
    }
  }

  const onUploaded = async (dataset) => {
    replace(notice, h("p", { class: "success" }, `Uploaded ${dataset.name}: ${dataset.rows.toLocaleString()} rows. `,
      h("a", { href: `/datasets/${dataset.id}`, "data-spa": true }, "Open it")));
    await load();
  };
  replace(root, h("h1", {}, "Datasets"), uploadForm(onUploaded), notice, list);
  try {
    await load();
  } catch (problem) {
    const error = errorBox();
    error.show(problem);
    replace(list, error);
  }
}

/** The dataset's working links, each with Revoke; refreshed after a link is made. */
function shareList(dataset, error) {
  const list = h("div", { class: "share-list" });
  const base = `/datasets/${dataset.id}/shares`;
  list.refresh = async () => {
    let links;
    try {
      links = (await api(base)).items;
    } catch (problem) {
      error.show(problem);
      return;
    }
    if (!links.length) {
      replace(list, h("p", { class: "empty" }, "No working share links."));
      return;
    }
    replace(list, h("ul", { class: "links", "aria-label": "Working share links" }, links.map((link) => {
      const revoke = h("button", { type: "button", class: "danger" }, "Revoke");
      revoke.addEventListener("click", async () => {
        error.clear();
        try {
          await busy(revoke, () => api(`${base}/${link.id}`, { method: "DELETE" }), "Revoking…");
          flash("Link revoked: it no longer opens the dataset.");
          await list.refresh();
        } catch (problem) {
          error.show(problem);
        }
      });
      return h("li", { class: "row" }, h("span", {}, `Link expiring ${when(link.expires_at)}`), revoke);
    })));
  };
  list.refresh();
  return list;
}

function sharePanel(dataset) {
  const panel = h("div", { class: "share", "aria-live": "polite" });
  const error = errorBox();
  const links = shareList(dataset, error);
  const button = h("button", { type: "button" }, "Create share link");
  button.addEventListener("click", async () => {
    error.clear();
    try {
      const share = await busy(button, () => api(`/datasets/${dataset.id}/shares`, { method: "POST", json: {} }));
      const url = h("input", { type: "text", readonly: true, value: share.url, class: "share-url" });
      const copy = h("button", { type: "button" }, "Copy link");
      const copied = h("span", { class: "hint", role: "status" });
      copy.addEventListener("click", async () => {
        url.select();
        try {
          await navigator.clipboard.writeText(share.url);
        } catch {
          document.execCommand("copy"); // older browsers; the text is selected either way
        }
        copied.textContent = "Copied.";
      });
      replace(panel, field(`Read-only link, no sign-in needed; expires ${when(share.expires_at)}`, url),
        h("div", { class: "row" }, copy, copied));
      button.textContent = "Create another link";
      await links.refresh();
    } catch (problem) {
      error.show(problem);
    }
  });
  return h("div", {}, h("div", { class: "row" }, button), error, panel, h("h3", {}, "Working links"), links);
}

function deleteControl(dataset) {
  const area = h("div", { class: "row" });
  const error = errorBox();
  const ask = h("button", { type: "button", class: "danger" }, "Delete dataset");
  ask.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger" }, "Yes, delete it");
    const no = h("button", { type: "button" }, "Keep it");
    yes.addEventListener("click", async () => {
      try {
        await busy(yes, () => api(`/datasets/${dataset.id}`, { method: "DELETE" }), "Deleting…");
        flash(`Deleted ${dataset.name}.`);
        navigate("/datasets");
      } catch (problem) {
        error.show(problem);
      }
    });
    no.addEventListener("click", () => {
      replace(area, ask);
      ask.focus();
    });
    replace(area, h("span", {}, `Delete ${dataset.name} and its share links for good?`), yes, no);
    no.focus();
  });
  area.append(ask);
  return h("div", {}, area, error);
}

export async function datasetView(root, { params: [id] }) {
  let dataset;
  try {
    dataset = await api(`/datasets/${encodeURIComponent(id)}`);
  } catch (problem) {
    const error = errorBox();
    error.show(problem.status === 404 || problem.status === 422
      ? { title: "Dataset not found.", message: "There is no dataset of yours at this address." }
      : problem);
    replace(root, h("h1", {}, "Dataset"), error, h("p", {}, h("a", { href: "/datasets", "data-spa": true }, "Back to your datasets")));
    return;
  }
  const columns = dataset.columns.map((c) => `${c.name} (${c.type})`).join(", ");
  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: "/datasets", "data-spa": true }, "Datasets")),
    h("h1", {}, dataset.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Format"), h("dd", {}, dataset.format.toUpperCase()),
      h("dt", {}, "Rows"), h("dd", {}, dataset.rows.toLocaleString()),
      h("dt", {}, "Size"), h("dd", {}, bytes(dataset.size_bytes)),
      h("dt", {}, "Columns"), h("dd", {}, columns),
      h("dt", {}, "Text column"), h("dd", {}, dataset.text_column ?? "none detected"),
      h("dt", {}, "Uploaded"), h("dd", {}, when(dataset.created_at)),
      h("dt", {}, "SHA-256"), h("dd", {}, h("code", { class: "hash" }, dataset.sha256))),
    h("div", { class: "row actions" },
      h("a", { class: "button primary", href: `/tasks/new?dataset=${dataset.id}`, "data-spa": true }, "Run a model on it"),
      h("a", { class: "button", href: `/api/v1/datasets/${dataset.id}/download`, download: "" }, "Download file")),
    h("section", { "aria-labelledby": "preview-title" }, h("h2", { id: "preview-title" }, "Preview"), previewTable(dataset)),
    datasetTasks(dataset),
    h("section", { "aria-labelledby": "share-title" }, h("h2", { id: "share-title" }, "Share"), sharePanel(dataset)),
    h("section", { "aria-labelledby": "delete-title" }, h("h2", { id: "delete-title" }, "Delete"), deleteControl(dataset)),
  );
}
