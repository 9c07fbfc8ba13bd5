// One review, analysed at once with the model's synchronous predict endpoint.

import { api } from "./api.js";
import { busy, errorBox, field, h, replace } from "./dom.js";
import { scoreChart } from "./chart.js";

const MAX_CHARS = 512;

/** Why `value` cannot be analysed (the API refuses the same with code 01), or null. */
export function textProblem(value, max) {
  if (!value.trim()) return "Type or paste a review first: blank text has no sentiment.";
  if (value.length > max) {
    return `The review is ${value.length} characters; the model reads at most ${max}. Shorten it by ${value.length - max}.`;
  }
  return null;
}

export async function analyseView(root) {
  let models = [];
  try {
    models = (await api("/models")).items.filter((m) => m.kind === "text_classification");
  } catch {
    models = [];
  }
  const fallback = { name: "sentiment", inputs: [{ name: "text" }], max_text_length: MAX_CHARS };
  if (!models.length) models = [fallback];
  const max = Math.min(...models.map((m) => m.max_text_length ?? MAX_CHARS));
  // No maxlength: it would cut a pasted review without a word; the counter says so instead.
  const text = h("textarea", { name: "text", rows: 5, required: true });
  const model = h("select", { name: "model" },
    models.map((m) => h("option", { value: m.name, selected: m.name === "sentiment" }, m.ready === false ? `${m.name} (not ready)` : m.name)));
  const counter = h("p", { class: "hint counter" }, `0 / ${max} characters`);
  text.addEventListener("input", () => {
    const over = text.value.length - max;
    counter.textContent = `${text.value.length} / ${max} characters` +
      (over > 0 ? ` (${over} too many: shorten it before analysing)` : "");
    counter.classList.toggle("over", over > 0);
  });
  const error = errorBox();
  const result = h("section", { class: "result", "aria-live": "polite", "aria-label": "Analysis" });
  const button = h("button", { type: "submit", class: "primary" }, "Analyse");
  const form = h("form", { class: "card" },
    field("Review text", text, `One review, up to ${max} characters.`),
    counter,
    models.length > 1 ? field("Model", model) : null,
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    result.replaceChildren(); // a refused or failed input never leaves the last answer on screen
    const refusal = textProblem(text.value, max);
    if (refusal) {
      error.show({ title: "Nothing analysed.", message: refusal });
      text.focus();
      return;
    }
    const chosen = models.find((m) => m.name === model.value) ?? models[0];
    const column = chosen.inputs?.[0]?.name ?? "text";
    try {
      const answer = await busy(button, () =>
        api(`/models/${encodeURIComponent(chosen.name)}/predict`, {
          method: "POST",
          json: { inputs: [{ [column]: text.value }] },
        }), "Analysing…");
      const output = answer.outputs[0];
      replace(result,
        h("h2", {}, "Result"),
        h("p", { class: "verdict" }, "Label: ", h("span", { class: `label label-${output.label}` }, output.label)),
        scoreChart(output.scores));
    } catch (problem) {
      result.replaceChildren();
      error.show(problem);
    }
  });
  replace(root, h("h1", {}, "Analyse a review"),
    h("p", {}, "Classify one text now. For a whole file, upload a dataset and start a batch task."),
    form, result);
}
