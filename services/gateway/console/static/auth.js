// Sign in and register. Sessions are HttpOnly cookies; the page never sees a token.

import { register, signIn } from "./api.js";
import { busy, errorBox, field, h, replace } from "./dom.js";
import { navigate, signedIn } from "./shell.js";

const ABOUT = "Inferlane runs machine-learning models over your data: upload a file of reviews, " +
  "label every row with a model, watch the progress and download the results.";

function credentialsForm({ submitText, passwordAutocomplete, passwordHint, onSubmit }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: passwordAutocomplete,
    required: true,
  });
  const error = errorBox();
  const button = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h(
    "form",
    { class: "card narrow" },
    field("Email", email),
    field("Password", password, passwordHint),
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    try {
      await busy(button, () => onSubmit(email.value.trim(), password.value));
    } catch (problem) {
      error.show(problem);
      password.focus();
    }
  });
  return form;
}

async function enter(email, password, query) {
  await signIn(email, password);
  await signedIn();
  const next = query.get("next");
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/datasets", { replace: true });
}

export function signInView(root, { query }) {
  replace(
    root,
    h("h1", {}, "Sign in"),
    h("p", { class: "about" }, ABOUT),
    credentialsForm({
      submitText: "Sign in",
      passwordAutocomplete: "current-password",
      onSubmit: (email, password) => enter(email, password, query),
    }),
    h("p", {}, "No account yet? ", h("a", { href: "/register", "data-spa": true }, "Create one")),
  );
}

export function registerView(root, { query }) {
  replace(
    root,
    h("h1", {}, "Create an account"),
    h("p", { class: "about" }, ABOUT),
    credentialsForm({
      submitText: "Create account",
      passwordAutocomplete: "new-password",
      passwordHint: "At least 12 characters, and not your email address.",
      onSubmit: async (email, password) => {
        await register(email, password);
        await enter(email, password, query);
      },
    }),
    h("p", {}, "Already registered? ", h("a", { href: "/signin", "data-spa": true }, "Sign in")),
  );
}
