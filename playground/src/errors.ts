// How every failure is shown: the API's message, its code and request id (quote it when reporting a
// problem), the Retry-After wait of a 429, and a sign-in button for 401/403 where sign-in exists.
import { ApiError } from "./api";
import type { Auth } from "./auth";
import { h } from "./dom";

/** "Error 429 (throttled): ", or without a status (network, sign-in, a stream's own error) "Error (code): ". */
export function errorTitle(error: Pick<ApiError, "status" | "code">): string {
  return error.status ? `Error ${error.status} (${error.code}): ` : `Error (${error.code}): `;
}

export function errorView(error: unknown, auth: Auth): HTMLElement {
  if (!(error instanceof ApiError)) {
    return h("div", { class: "error", role: "alert" }, h("p", {}, error instanceof Error ? error.message : String(error)));
  }
  const signIn = error.needsSignIn
    ? auth.canSignIn
      ? h("button", { type: "button", onclick: () => void auth.signIn() }, "Sign in")
      : h("p", {}, "Sign-in is required.")
    : null;
  const wait =
    error.retryAfter !== null ? h("p", { class: "retry-after" }, `Try again in ${error.retryAfter} s (Retry-After).`) : null;
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", { class: "error-message" }, errorTitle(error), error.message),
    error.field ? h("p", {}, "Field: ", h("code", {}, error.field)) : null,
    wait,
    error.requestId ? h("p", { class: "request-id" }, "Request id: ", h("code", {}, error.requestId)) : null,
    signIn,
  );
}
