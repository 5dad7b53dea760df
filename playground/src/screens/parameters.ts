// Inference parameters within the chosen model's limits (GET /v1/models): max new tokens, greedy or sampled
// decoding, temperature, top-p, top-k. Only what the user changed is sent: the API fills the rest from the
// use case's defaults, adapted to the model (orchestrator/parameters.py drops or clamps a default the model
// cannot take, but answers 400 to an explicit value out of range).
import { field, h } from "../dom";
import type { Model, Parameters, UseCase } from "../types";

type Key = "max_new_tokens" | "temperature" | "top_p" | "top_k";

export class ParametersFieldset {
  readonly element: HTMLFieldSetElement;
  private readonly inputs: Record<Key, HTMLInputElement>;
  private readonly fields: Record<Key, HTMLElement>;
  private readonly greedy: HTMLInputElement;
  private readonly sampled: HTMLInputElement;
  private readonly touched = new Set<string>();

  constructor(legend = "Parameters") {
    const number = (key: Key, step: string) =>
      h("input", { type: "number", step, name: key, inputmode: "decimal", onchange: () => this.touched.add(key) });
    // Temperature and top-p take any value in range ("any"): a catalog default off a coarser step (0.33) would
    // make the browser refuse the form, silently when the field is hidden. The API checks each model's limits.
    this.inputs = {
      max_new_tokens: number("max_new_tokens", "1"),
      temperature: number("temperature", "any"),
      top_p: number("top_p", "any"),
      top_k: number("top_k", "1"),
    };
    this.fields = {
      max_new_tokens: field("Max new tokens", this.inputs.max_new_tokens, " "),
      temperature: field("Temperature", this.inputs.temperature, " "),
      top_p: field("Top-p", this.inputs.top_p, " "),
      top_k: field("Top-k", this.inputs.top_k, " "),
    };
    const name = `sampling-${Math.random().toString(36).slice(2, 8)}`;
    const radio = (value: string) =>
      h("input", { type: "radio", name, value, onchange: () => this.onSampling() });
    this.greedy = radio("greedy");
    this.sampled = radio("random");
    const decoding = h(
      "fieldset",
      { class: "inline" },
      h("legend", {}, "Decoding"),
      h("label", {}, this.greedy, " Greedy (deterministic)"),
      h("label", {}, this.sampled, " Sampled (random)"),
    );
    this.element = h(
      "fieldset",
      { class: "parameters" },
      h("legend", {}, legend),
      h("div", { class: "row" }, this.fields.max_new_tokens, decoding),
      h("div", { class: "row" }, this.fields.temperature, this.fields.top_p, this.fields.top_k),
    );
  }

  /** Shows the use case's defaults within the model's limits, forgetting earlier edits. */
  reset(useCase: UseCase, model: Model | undefined): void {
    this.touched.clear();
    const defaults = useCase.default_parameters;
    const limits: Record<Key, [number, number | undefined, boolean]> = {
      max_new_tokens: [1, model?.max_tokens, true],
      temperature: [0, model?.temperature_max ?? 1, true],
      top_p: [0, 1, model?.top_p ?? true],
      top_k: [1, model?.top_k_max ?? undefined, model?.top_k ?? false],
    };
    for (const key of Object.keys(limits) as Key[]) {
      const [min, max, supported] = limits[key];
      const input = this.inputs[key];
      input.min = String(min);
      if (max !== undefined) input.max = String(max);
      else input.removeAttribute("max");
      const value = defaults[key];
      input.value = typeof value === "number" ? String(max !== undefined ? Math.min(value, max) : value) : "";
      this.fields[key].hidden = !supported;
      const hint = this.fields[key].querySelector(".hint") as HTMLElement;
      hint.textContent = max !== undefined ? `${min} to ${max}` : `at least ${min}`;
    }
    (defaults.sampling === "greedy" ? this.greedy : this.sampled).checked = true;
    this.onSampling(false);
  }

  private onSampling(userChange = true): void {
    if (userChange) this.touched.add("sampling");
    for (const key of ["temperature", "top_p", "top_k"] as Key[]) this.inputs[key].disabled = this.greedy.checked;
  }

  /** The parameters to send: only those the user set (null when none). */
  value(): Partial<Parameters> | null {
    const result: Partial<Parameters> = {};
    if (this.touched.has("sampling")) result.sampling = this.greedy.checked ? "greedy" : "random";
    for (const key of Object.keys(this.inputs) as Key[]) {
      const input = this.inputs[key];
      if (!this.touched.has(key) || input.disabled || this.fields[key].hidden || input.value === "") continue;
      result[key] = Number(input.value);
    }
    return Object.keys(result).length > 0 ? result : null;
  }
}
