// The prompt builder: a use case (GET /v1/use-cases) and the catalog's fields: input, context, up to 6
// examples, tone, constraints, language, output format, step by step, and an image for use cases that take one.
import { field, h, replaceChildren, uid } from "../dom";
import { readImage } from "../image";
import type { KnowledgeBase, UseCase } from "../types";

export const MAX_EXAMPLES = 6;
const MAX_CONSTRAINTS = 10;

export interface PromptBody {
  use_case: string;
  input: string;
  context?: string;
  examples?: { input: string; output: string }[];
  instructions?: { tone?: string; language?: string; output_format?: string; constraints?: string[] };
  chain_of_thought?: boolean;
  image?: { format: "png" | "jpeg"; data: string };
  knowledge_base?: string | null;
}

/** The knowledge-base select's value for "no retrieval" (sent as null); "" keeps the use case's default. */
const NO_RETRIEVAL = "-";

export class PromptForm {
  readonly element: HTMLElement;
  private readonly useCaseSelect: HTMLSelectElement;
  private readonly description: HTMLParagraphElement;
  private readonly input = h("textarea", { rows: 5, required: true });
  private readonly context = h("textarea", { rows: 3 });
  private readonly tone = h("input", { type: "text", maxlength: 100 });
  private readonly language = h("input", { type: "text", maxlength: 50 });
  private readonly outputFormat = h("input", { type: "text", maxlength: 300 });
  private readonly constraints = h("textarea", { rows: 2 });
  private readonly stepByStep = h("input", { type: "checkbox" });
  private readonly image = h("input", { type: "file", accept: "image/png,image/jpeg" });
  private readonly knowledgeBase = h("select", {});
  private readonly imageField: HTMLElement;
  private readonly examples = h("ol", { class: "examples" });
  private readonly addExample: HTMLButtonElement;
  private listeners: ((useCase: UseCase) => void)[] = [];

  constructor(
    private readonly useCases: UseCase[],
    private readonly knowledgeBases: KnowledgeBase[],
    prefix: string,
  ) {
    this.useCaseSelect = h(
      "select",
      { id: uid(`${prefix}-use-case`), onchange: () => this.changed() },
      useCases.map((useCase) => h("option", { value: useCase.id }, useCase.id)),
    );
    this.description = h("p", { class: "hint", id: uid(`${prefix}-use-case-description`) });
    this.useCaseSelect.setAttribute("aria-describedby", this.description.id);
    this.imageField = field("Image (PNG or JPEG, at most 3.75 MB)", this.image);
    this.addExample = h("button", { type: "button", onclick: () => this.appendExample() }, "Add example");
    this.element = h(
      "div",
      { class: "prompt-form" },
      h("div", { class: "field" }, h("label", { for: this.useCaseSelect.id }, "Use case"), this.useCaseSelect, this.description),
      field("Input", this.input),
      field("Context (optional)", this.context, "Reference text the answer should use."),
      h(
        "fieldset",
        {},
        h("legend", {}, `Examples (0 to ${MAX_EXAMPLES})`),
        this.examples,
        this.addExample,
      ),
      h(
        "details",
        { class: "instructions" },
        h("summary", {}, "Instructions: tone, language, output format, constraints, step by step"),
        h("div", { class: "row" }, field("Tone", this.tone), field("Language", this.language)),
        field("Output format", this.outputFormat),
        field("Constraints", this.constraints, `One per line, at most ${MAX_CONSTRAINTS}.`),
        h("div", { class: "field checkbox" }, h("label", {}, this.stepByStep, " Think step by step")),
      ),
      this.imageField,
      field("Knowledge base", this.knowledgeBase, "Grounded answers cite the documents they use."),
    );
    this.changed();
  }

  useCase(): UseCase {
    return this.useCases.find((useCase) => useCase.id === this.useCaseSelect.value) ?? this.useCases[0];
  }

  onUseCaseChange(listener: (useCase: UseCase) => void): void {
    this.listeners.push(listener);
    listener(this.useCase());
  }

  private changed(): void {
    const useCase = this.useCase();
    this.description.textContent = useCase.description;
    this.imageField.hidden = !useCase.accepts_image;
    const fallback = useCase.knowledge_base ? `Use case default: ${useCase.knowledge_base}` : "Use case default: none";
    replaceChildren(
      this.knowledgeBase,
      h("option", { value: "" }, fallback),
      h("option", { value: NO_RETRIEVAL }, "None (no retrieval)"),
      this.knowledgeBases.map((base) => h("option", { value: base.name }, `${base.name}: ${base.description}`)),
    );
    for (const listener of this.listeners) listener(useCase);
  }

  private appendExample(): void {
    const input = h("textarea", { rows: 2 });
    const output = h("textarea", { rows: 2 });
    const item: HTMLLIElement = h("li", { class: "example" });
    const remove = h(
      "button",
      {
        type: "button",
        onclick: () => {
          item.remove();
          this.renumber();
          this.addExample.focus();
        },
      },
      "Remove example",
    );
    replaceChildren(item, field("Example input", input), field("Example output", output), remove);
    this.examples.append(item);
    this.renumber();
    input.focus();
  }

  private renumber(): void {
    const items = Array.from(this.examples.children);
    items.forEach((item, index) => {
      const labels = item.querySelectorAll("label");
      labels[0].textContent = `Example ${index + 1} input`;
      labels[1].textContent = `Example ${index + 1} output`;
      item.querySelector("button")?.setAttribute("aria-label", `Remove example ${index + 1}`);
    });
    this.addExample.disabled = items.length >= MAX_EXAMPLES;
  }

  /** The prompt fields of a GenerateRequest; empty optional fields are left out. */
  async body(): Promise<PromptBody> {
    const useCase = this.useCase();
    const body: PromptBody = { use_case: useCase.id, input: this.input.value };
    const text = (element: HTMLInputElement | HTMLTextAreaElement) => element.value.trim() || undefined;
    if (text(this.context)) body.context = this.context.value;
    const examples = Array.from(this.examples.querySelectorAll("li")).map((item) => {
      const [input, output] = Array.from(item.querySelectorAll("textarea"));
      return { input: input.value, output: output.value };
    });
    if (examples.length > 0) body.examples = examples;
    const constraints = this.constraints.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const instructions = {
      tone: text(this.tone),
      language: text(this.language),
      output_format: text(this.outputFormat),
      constraints: constraints.length > 0 ? constraints : undefined,
    };
    if (Object.values(instructions).some((value) => value !== undefined)) body.instructions = instructions;
    if (this.stepByStep.checked) body.chain_of_thought = true;
    const file = this.image.files?.[0];
    if (useCase.accepts_image && file) body.image = await readImage(file);
    if (this.knowledgeBase.value) body.knowledge_base = this.knowledgeBase.value === NO_RETRIEVAL ? null : this.knowledgeBase.value;
    return body;
  }
}
