// Pieces several screens show: an action's busy state, its error slot, usage figures and citations.
import type { Auth } from "./auth";
import { field, h, replaceChildren } from "./dom";
import { errorView } from "./errors";
import type { Citation, Model } from "./types";

/** Runs an action with its button disabled and aria-busy on the region; errors land in the slot. */
export async function run(
  button: HTMLButtonElement,
  slot: HTMLElement,
  auth: Auth,
  action: () => Promise<void>,
): Promise<void> {
  replaceChildren(slot);
  button.disabled = true;
  slot.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    if (!(error instanceof DOMException && error.name === "AbortError")) replaceChildren(slot, errorView(error, auth));
  } finally {
    button.disabled = false;
    slot.removeAttribute("aria-busy");
  }
}

/** A form's submit handler: no page load; ``action`` through run(), then ``after`` (the button enabled again). */
export function submitRuns(
  button: HTMLButtonElement,
  slot: HTMLElement,
  auth: Auth,
  action: () => Promise<void>,
  after?: () => void,
): (event: SubmitEvent) => void {
  return (event) => {
    event.preventDefault();
    void run(button, slot, auth, action).then(after);
  };
}

export function formatCost(usd: number | undefined): string {
  if (usd === undefined || usd === null) return "n/a";
  return usd === 0 ? "$0" : `$${usd < 0.01 ? usd.toPrecision(2) : usd.toFixed(4)}`;
}

/** A description list of figures: [["Latency", "320 ms"], ...]. */
export function figures(entries: [string, string][], label: string): HTMLDListElement {
  return h("dl", { class: "figures", "aria-label": label }, entries.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

export function citationList(citations: Citation[]): HTMLElement | null {
  if (citations.length === 0) return null;
  return h(
    "section",
    { class: "citations", "aria-label": "Citations" },
    h("h3", {}, "Citations"),
    h(
      "ul",
      {},
      citations.map((citation) =>
        h(
          "li",
          {},
          h("p", {}, h("strong", {}, `[${citation.n}] `), h("code", {}, citation.source), ` (score ${citation.score.toFixed(2)})`),
          h("blockquote", {}, citation.excerpt),
        ),
      ),
    ),
  );
}

export function modelSelect(models: Model[], selected: string, label = "Model"): { field: HTMLElement; select: HTMLSelectElement } {
  const select = h(
    "select",
    {},
    models.map((model) => h("option", { value: model.id, selected: model.id === selected }, `${model.id} (${model.backend})`)),
  );
  return { field: field(label, select), select };
}
