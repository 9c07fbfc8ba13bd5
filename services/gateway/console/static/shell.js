// What every view shares: the signed-in user, navigation and short status messages.

import { api } from "./api.js";
import { replace } from "./dom.js";

export const session = { user: null };
let renderer = () => {};

export function onNavigate(render) {
  renderer = render;
}

export function navigate(url, { replace: replaceEntry = false } = {}) {
  history[replaceEntry ? "replaceState" : "pushState"](null, "", url);
  renderer(true);
}

/** A short message that outlives one navigation (e.g. "Dataset deleted"). */
export function flash(text) {
  const box = document.getElementById("flash");
  replace(box, text);
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => box.replaceChildren(), 6000);
}

export function setUser(user) {
  session.user = user;
  document.getElementById("nav").hidden = !user;
  document.getElementById("account").hidden = !user;
  document.getElementById("account-email").textContent = user ? user.email : "";
}

export async function signedIn() {
  setUser(await api("/auth/me"));
}
