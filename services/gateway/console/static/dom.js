// Building the page with DOM APIs only: no HTML strings, no inline styles (the CSP forbids both).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.setAttribute("class", value);
    } else if (key === "value" || key === "checked" || key === "disabled") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** h("a", {href: "/x"}, "text", child, …): an HTML element. */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** s("rect", {x: 0, …}): an SVG element. */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  return iso ? dateFormat.format(new Date(iso)) : "—";
}

export function bytes(n) {
  const units = ["bytes", "KB", "MB", "GB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export function percent(value, digits = 1) {
  return `${Number(value).toFixed(digits)} %`;
}

export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status);
}

/** A labelled form field: the label's `for` points at the control, hints are described-by. */
export function field(labelText, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const parts = [h("label", { for: id }, labelText)];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  parts.push(control);
  return h("div", { class: "field" }, parts);
}

/** A place for a form's error: empty and hidden until `show` fills it. */
export function errorBox() {
  const box = h("div", { class: "error", role: "alert", hidden: true });
  box.show = (error) => {
    // The human sentence first; a title only where the console wrote one itself.
    replace(box, error.title ? [h("strong", {}, error.title), " "] : null, error.message);
    box.hidden = false;
  };
  box.clear = () => {
    box.replaceChildren();
    box.hidden = true;
  };
  return box;
}

/** Disable a form's submit button while `work` runs. */
export async function busy(button, work, label = "Working…") {
  const text = button.textContent;
  button.disabled = true;
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = text;
  }
}
