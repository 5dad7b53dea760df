// Build a prompt, preview what the model would get (POST /v1/prompt/preview: masked, no model call), then
// generate with the answer streamed in as it is written (POST /v1/generate/stream), citations included.
import type { StreamEvent } from "../api";
import type { Context } from "../context";
import { h, replaceChildren } from "../dom";
import type { Citation, Parameters } from "../types";
import { citationList, figures, formatCost, modelSelect, run, submitRuns } from "../view";
import { ParametersFieldset } from "./parameters";
import { PromptForm } from "./prompt-form";

interface Preview {
  model: string;
  backend: string;
  prompt: {
    system: string | null;
    messages: { role: string; text: string; image?: { format: string; bytes: number } }[];
    rendered?: string;
  };
  model_call?: boolean;
  parameters: Parameters;
  estimated_input_tokens: number;
  screening?: { verdict?: string; pii?: { types?: string[] } };
  request_id: string;
}

export function generateScreen(ctx: Context): HTMLElement {
  const { catalog, api, auth } = ctx;
  const form = new PromptForm(catalog.useCases, catalog.knowledgeBases, "generate");
  const parameters = new ParametersFieldset();
  const { field: modelField, select: model } = modelSelect(catalog.models, catalog.useCases[0].default_model);
  const previewButton = h("button", { type: "button" }, "Preview prompt");
  const generateButton = h("button", { type: "submit", class: "primary" }, "Generate");
  const stopButton = h("button", { type: "button", hidden: true }, "Stop");
  const preview = h("section", { class: "preview", "aria-label": "Prompt preview" });
  const output = h("div", { class: "output", role: "log", "aria-live": "polite", "aria-label": "Generated text" });
  const details = h("div", { class: "details" });
  const errors = h("div", { class: "error-slot" });
  let controller: AbortController | null = null;

  const modelOf = () => catalog.models.find((candidate) => candidate.id === model.value);
  form.onUseCaseChange((useCase) => {
    if (catalog.models.some((candidate) => candidate.id === useCase.default_model)) model.value = useCase.default_model;
    parameters.reset(useCase, modelOf());
  });
  model.addEventListener("change", () => parameters.reset(form.useCase(), modelOf()));

  const request = async () => ({ ...(await form.body()), model: model.value, parameters: parameters.value() });

  previewButton.addEventListener("click", () =>
    run(previewButton, errors, auth, async () => {
      replaceChildren(preview);
      const result = await api.post<Preview>("/prompt/preview", await request());
      replaceChildren(preview, previewView(result));
    }),
  );

  const formElement = h(
    "form",
    {
      "aria-label": "Prompt",
      onsubmit: submitRuns(generateButton, errors, auth, async () => {
        replaceChildren(output);
        replaceChildren(details);
        const stream = new AbortController();
        controller = stream;
        stopButton.hidden = false;
        const citations: Citation[] = [];
        const started = performance.now();
        const facts: [string, string][] = [];
        try {
          await api.stream("/generate/stream", await request(), (event: StreamEvent) => {
            if (event.type === "delta") output.append(document.createTextNode(event.text));
            else if (event.type === "start") facts.push(["Model", event.model], ["Request id", event.request_id]);
            else if (event.type === "citation") citations.push(event);
            else if (event.type === "usage") {
              facts.push(["Tokens", `${event.input_tokens} in, ${event.output_tokens} out`]);
              facts.push(["Estimated cost", formatCost(event.estimated_cost_usd)]);
            } else if (event.type === "done") {
              facts.push(["Stop reason", event.stop_reason ?? "none"]);
              facts.push(["Time", `${Math.round(performance.now() - started)} ms`]);
            }
          }, stream.signal);
        } finally {
          stopButton.hidden = true;
          if (stream.signal.aborted) facts.push(["Stopped", "by you: the answer above is incomplete"]);
          replaceChildren(details, facts.length ? figures(facts, "Generation details") : null, citationList(citations));
        }
      }, () => {
        // The Stop button that had focus is hidden again: continue at Generate, not at the page's start.
        if (controller?.signal.aborted) generateButton.focus();
      }),
    },
    h(
      "div",
      { class: "two-columns" },
      form.element,
      h(
        "div",
        {},
        modelField,
        parameters.element,
        h("div", { class: "actions" }, previewButton, generateButton, stopButton),
        errors,
        h("h3", {}, "Output"),
        output,
        details,
        preview,
      ),
    ),
  );
  stopButton.addEventListener("click", () => controller?.abort());

  return formElement;
}

function previewView(result: Preview): HTMLElement {
  const parameters = Object.entries(result.parameters)
    .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]): [string, string] => [key, Array.isArray(value) ? value.join(", ") : String(value)]);
  return h(
    "div",
    {},
    h("h3", {}, "Prompt preview"),
    h("p", { class: "hint" }, "What the model would get, after masking. No model was called."),
    figures(
      [
        ["Model", `${result.model} (${result.backend})`],
        ["Estimated input tokens", String(result.estimated_input_tokens)],
        ["PII masked", result.screening?.pii?.types?.join(", ") || "none"],
        ["Request id", result.request_id],
      ],
      "Preview details",
    ),
    result.prompt.system !== null ? h("div", { class: "message" }, h("h4", {}, "System"), h("pre", {}, result.prompt.system)) : null,
    result.model_call === false ? h("p", {}, "No document matched: generate would answer without calling the model.") : null,
    result.prompt.messages.map((message) =>
      h(
        "div",
        { class: "message" },
        h("h4", {}, message.role),
        message.image ? h("p", { class: "hint" }, `Image: ${message.image.format}, ${message.image.bytes} bytes`) : null,
        h("pre", {}, message.text),
      ),
    ),
    result.prompt.rendered !== undefined
      ? h("div", { class: "message" }, h("h4", {}, "Rendered by the model's chat template"), h("pre", {}, result.prompt.rendered))
      : null,
    h("h4", {}, "Parameters"),
    figures(parameters, "Resolved parameters"),
  );
}
