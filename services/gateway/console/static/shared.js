// What the person who opens a share link sees: the dataset's preview, columns, expiry and a
// download button, whether or not they have an account.

import { api } from "./api.js";
import { bytes, errorBox, h, replace, when } from "./dom.js";
import { previewTable } from "./preview.js";

export async function sharedView(root, { params: [token] }) {
  const path = `/shared/${encodeURIComponent(token)}`;
  let shared;
  try {
    shared = await api(path);
  } catch (problem) {
    const error = errorBox();
    error.show(problem.status === 410
      ? { title: "This link no longer works.", message: "It has expired or its owner revoked it. Ask them for a new one." }
      : problem.status === 404
        ? { title: "No such link.", message: "Check that the whole address was copied." }
        : problem);
    replace(root, h("h1", {}, "Shared dataset"), error);
    return;
  }
  const { dataset } = shared;
  replace(
    root,
    h("p", { class: "crumbs" }, "Shared with you, read-only. ", h("a", { href: "/" }, "What is Inferlane?")),
    h("h1", {}, dataset.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Rows"), h("dd", {}, dataset.rows.toLocaleString()),
      h("dt", {}, "Format"), h("dd", {}, dataset.format.toUpperCase()),
      h("dt", {}, "Size"), h("dd", {}, bytes(dataset.size_bytes)),
      h("dt", {}, "Columns"), h("dd", {}, dataset.columns.map((c) => `${c.name} (${c.type})`).join(", ")),
      h("dt", {}, "Link expires"), h("dd", {}, when(shared.expires_at))),
    h("div", { class: "row actions" },
      h("a", { class: "button primary", href: `/api/v1${path}/download`, download: "" }, "Download file")),
    h("section", { "aria-labelledby": "preview-title" },
      h("h2", { id: "preview-title" }, "Preview"), previewTable({ ...dataset, preview: shared.preview })),
  );
}
