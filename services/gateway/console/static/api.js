// The REST API as the console uses it: cookie sessions with the CSRF double submit, one
// silent refresh on a 401, and RFC 7807 problems turned into readable errors.

const BASE = "/api/v1";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(describe(problem, retryAfter));
    this.status = status;
    this.code = problem.code ?? null;
    // The message leads: an HTTP phrase ("Unprocessable Entity") tells a person nothing, so
    // only errors the console words itself (network, not found) carry a title.
    this.title = status ? null : problem.title;
    this.httpTitle = problem.title || (status ? `Error ${status}` : "Network error");
    this.requestId = problem.request_id ?? null;
  }
}

function describe(problem, retryAfter) {
  let text = sentence(problem.detail || problem.title || "The request failed.");
  if (retryAfter) text += ` Try again in ${retryAfter} s.`;
  if (problem.status >= 500 && problem.request_id) text += ` (request id ${problem.request_id})`;
  return text;
}

/** "invalid email or password" → "Invalid email or password." */
function sentence(text) {
  const trimmed = String(text).trim();
  if (!trimmed) return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

function csrfToken() {
  const entry = document.cookie.split("; ").find((c) => c.startsWith("il_csrf="));
  return entry ? decodeURIComponent(entry.slice("il_csrf=".length)) : "";
}

async function problemOf(response) {
  const type = response.headers.get("content-type") ?? "";
  let problem = {};
  if (type.includes("json")) {
    try {
      problem = await response.json();
    } catch {
      problem = {};
    }
  }
  if (typeof problem !== "object" || problem === null) problem = {};
  problem.status ??= response.status;
  problem.title ??= response.statusText;
  problem.detail ??= `The server answered ${response.status}.`;
  return new ApiError(response.status, problem, response.headers.get("Retry-After"));
}

const offline = () =>
  new ApiError(0, {
    title: "Network error",
    detail: "The server could not be reached. Check the connection and try again.",
  });

let refreshing = null;

/** Trade the refresh cookie for a new session; several 401s at once share one refresh. */
export function refreshSession() {
  if (!csrfToken()) return Promise.resolve(false);
  refreshing ??= fetch(`${BASE}/auth/refresh?mode=cookie`, {
    method: "POST",
    headers: { "X-CSRF-Token": csrfToken() },
    credentials: "same-origin",
  })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

const NO_REFRESH = new Set(["/auth/token", "/auth/refresh", "/auth/register", "/auth/logout"]);

/** Call the API; resolves to the parsed body (null for 204), rejects with an ApiError. */
export async function api(path, options = {}) {
  const { method = "GET", json, form, headers = {}, retry = true } = options;
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  if (!SAFE.has(method) && csrfToken()) init.headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch {
    throw offline();
  }
  const bare = path.split("?")[0];
  if (response.status === 401 && retry && !NO_REFRESH.has(bare) && (await refreshSession())) {
    return api(path, { ...options, retry: false });
  }
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return null;
  return (response.headers.get("content-type") ?? "").includes("json") ? response.json() : response.text();
}

/** A multipart upload with progress (fetch cannot report upload progress; XHR can). */
export function upload(path, formData, onProgress, retry = true) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken()) xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("error", () => reject(offline()));
    xhr.addEventListener("load", async () => {
      const response = new Response(xhr.status === 204 ? null : xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { "content-type": xhr.getResponseHeader("content-type") ?? "" },
      });
      if (xhr.status === 401 && retry && (await refreshSession())) {
        upload(path, formData, onProgress, false).then(resolve, reject);
      } else if (!response.ok) {
        reject(await problemOf(response));
      } else {
        resolve(await response.json());
      }
    });
    xhr.send(formData);
  });
}

export const signIn = (email, password) =>
  api("/auth/token?mode=cookie", {
    method: "POST",
    form: new URLSearchParams({ username: email, password }),
  });

export const register = (email, password) =>
  api("/auth/register", { method: "POST", json: { email, password } });

export const signOut = () => api("/auth/logout", { method: "POST" });

/** A fresh key per submitted form, so a double click or a retry creates one task. */
export function idempotencyKey() {
  return crypto.randomUUID ? { "Idempotency-Key": crypto.randomUUID() } : {};
}
