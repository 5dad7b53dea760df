// The same prompt on 2 to 4 models side by side (POST /v1/compare): one column per model with its answer,
// latency, tokens and estimated cost, or that model's error.
import type { Context } from "../context";
import { h, replaceChildren } from "../dom";
import type { Citation, ErrorDetail, Usage } from "../types";
import { citationList, figures, formatCost, submitRuns } from "../view";
import { ParametersFieldset } from "./parameters";
import { PromptForm } from "./prompt-form";

interface CompareResult {
  model: string;
  backend: string;
  output?: string;
  latency_ms?: number;
  usage?: Usage;
  tokens?: number;
  estimated_cost_usd?: number;
  stop_reason?: string | null;
  status?: number;
  retry_after?: number;
  error?: ErrorDetail;
  citations?: Citation[];
}

const MIN_MODELS = 2;
const MAX_MODELS = 4;

export function compareScreen(ctx: Context): HTMLElement {
  const { catalog, api, auth } = ctx;
  const form = new PromptForm(catalog.useCases, catalog.knowledgeBases, "compare");
  const parameters = new ParametersFieldset("Parameters (every model)");
  const checkboxes = catalog.models.map((model, index) =>
    h("input", { type: "checkbox", name: "models", value: model.id, checked: index < MIN_MODELS }),
  );
  const count = h("p", { class: "hint", "aria-live": "polite" });
  const selected = () => checkboxes.filter((box) => box.checked).map((box) => box.value);
  const compareButton = h("button", { type: "submit", class: "primary" }, "Compare");
  const updateCount = () => {
    const n = selected().length;
    count.textContent = `${n} selected (choose ${MIN_MODELS} to ${MAX_MODELS}).`;
    compareButton.disabled = n < MIN_MODELS || n > MAX_MODELS;
    for (const box of checkboxes) box.disabled = !box.checked && n >= MAX_MODELS;
  };
  checkboxes.forEach((box) => box.addEventListener("change", updateCount));
  updateCount();
  // The parameter limits shown are the first chosen model's (shown again when it changes); the API checks each
  // model's own.
  const firstModel = () => catalog.models.find((model) => model.id === selected()[0]);
  let shownFor = selected()[0];
  form.onUseCaseChange((useCase) => parameters.reset(useCase, firstModel()));
  checkboxes.forEach((box) =>
    box.addEventListener("change", () => {
      if (selected()[0] === shownFor) return;
      shownFor = selected()[0];
      parameters.reset(form.useCase(), firstModel());
    }),
  );

  const results = h("div", { class: "compare-results" });
  const errors = h("div", { class: "error-slot" });

  const formElement = h(
    "form",
    {
      "aria-label": "Compare prompt",
      // updateCount after the run: the models may have changed meanwhile, and the run re-enables the button.
      onsubmit: submitRuns(compareButton, errors, auth, async () => {
        replaceChildren(results);
        const body = { ...(await form.body()), models: selected(), parameters: parameters.value() };
        const response = await api.post<{ results: CompareResult[]; request_id: string }>("/compare", body);
        replaceChildren(
          results,
          h("p", { class: "hint" }, "Request id: ", h("code", {}, response.request_id)),
          h("div", { class: "columns" }, response.results.map(column)),
        );
      }, updateCount),
    },
    h(
      "div",
      { class: "two-columns" },
      form.element,
      h(
        "div",
        {},
        h(
          "fieldset",
          { class: "models" },
          h("legend", {}, `Models (${MIN_MODELS} to ${MAX_MODELS})`),
          catalog.models.map((model, index) => h("label", {}, checkboxes[index], ` ${model.id}`)),
          count,
        ),
        parameters.element,
        h("div", { class: "actions" }, compareButton),
      ),
    ),
  );
  return h("div", {}, formElement, errors, results);
}

function column(result: CompareResult): HTMLElement {
  const headingId = `compare-${result.model.replace(/[^A-Za-z0-9]/g, "-")}`;
  const body = result.error
    ? h(
        "div",
        { class: "error" },
        h("p", { class: "error-message" }, `Error ${result.status ?? ""} (${result.error.code}): `, result.error.message),
        result.retry_after !== undefined ? h("p", {}, `Try again in ${result.retry_after} s (Retry-After).`) : null,
      )
    : h("div", { class: "output" }, result.output ?? "");
  return h(
    "article",
    { class: "column", "aria-labelledby": headingId },
    h("h3", { id: headingId }, result.model),
    figures(
      [
        ["Latency", result.latency_ms !== undefined ? `${Math.round(result.latency_ms)} ms` : "n/a"],
        ["Tokens", result.usage ? `${result.usage.input_tokens} in, ${result.usage.output_tokens} out` : "n/a"],
        ["Estimated cost", formatCost(result.estimated_cost_usd)],
      ],
      `${result.model} figures`,
    ),
    body,
    citationList(result.citations ?? []),
  );
}
