// The console's shell: who is signed in, which view a path shows, links without reloads.

import { ApiError, signOut } from "./api.js";
import { registerView, signInView } from "./auth.js";
import { sharedView } from "./shared.js";
import { analyseView } from "./analyse.js";
import { datasetView, datasetsView } from "./datasets.js";
import { h, replace } from "./dom.js";
import { flash, navigate, onNavigate, session, setUser, signedIn } from "./shell.js";
import { taskView } from "./task.js";
import { newTaskView, tasksView } from "./tasks.js";
import { webhookDeliveriesView } from "./webhook_deliveries.js";
import { webhooksView } from "./webhooks.js";

const ROUTES = [
  { path: /^\/$/, view: null },
  { path: /^\/signin$/, view: signInView, public: true },
  { path: /^\/register$/, view: registerView, public: true },
  { path: /^\/datasets$/, view: datasetsView },
  { path: /^\/datasets\/([^/]+)$/, view: datasetView },
  { path: /^\/tasks$/, view: tasksView },
  { path: /^\/tasks\/new$/, view: newTaskView },
  { path: /^\/tasks\/([^/]+)$/, view: taskView },
  { path: /^\/analyse$/, view: analyseView },
  { path: /^\/account\/webhooks$/, view: webhooksView },
  { path: /^\/account\/webhooks\/([^/]+)$/, view: webhookDeliveriesView },
  { path: /^\/shared\/([^/]+)$/, view: sharedView, open: true }, // signed in or not
];
const HOME = "/datasets";

const main = document.getElementById("main");
let cleanup = null;
let generation = 0;

function markCurrent(path) {
  for (const link of document.querySelectorAll("#nav a")) {
    const here = link.getAttribute("href") === path;
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function notFound(root) {
  replace(
    root,
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", {}, "The console has no page at this address. "),
    h("p", {}, h("a", { href: HOME, "data-spa": true }, "Go to your datasets")),
  );
}

async function render(moved = false) {
  const mine = ++generation;
  if (cleanup) cleanup();
  cleanup = null;
  const { pathname, search } = window.location;
  const route = ROUTES.find((r) => r.path.test(pathname));
  if (route && !route.public && !route.open && !session.user) {
    const next = pathname === "/" ? "" : `?next=${encodeURIComponent(pathname + search)}`;
    return navigate(`/signin${next}`, { replace: true });
  }
  if (!route?.view && route) return navigate(HOME, { replace: true });
  if (route?.public && session.user) return navigate(HOME, { replace: true });
  markCurrent(pathname);
  const root = h("div", { class: "view" });
  replace(main, root);
  if (!route) {
    notFound(root);
  } else {
    const params = pathname.match(route.path).slice(1).map(decodeURIComponent);
    const query = new URLSearchParams(search);
    const done = await route.view(root, { params, query, stale: () => mine !== generation });
    if (mine !== generation) {
      if (typeof done === "function") done();
      return;
    }
    cleanup = typeof done === "function" ? done : null;
  }
  const heading = root.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Inferlane` : "Inferlane";
  if (moved && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.hasAttribute("download") || link.target || link.origin !== window.location.origin) return;
  if (!link.hasAttribute("data-spa")) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});

window.addEventListener("popstate", () => render(true));

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await signOut();
  } catch {
    // The cookies are cleared by the answer; even if it failed, leave the console signed out.
  }
  setUser(null);
  navigate("/signin");
  flash("You are signed out.");
});

onNavigate(render);

async function boot() {
  try {
    await signedIn();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      replace(main, h("div", { class: "error", role: "alert" }, error.title ? [h("strong", {}, error.title), " "] : null, error.message));
      return;
    }
  }
  await render();
}

boot();
