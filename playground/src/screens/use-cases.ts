// The use cases of GET /v1/use-cases: what each is for, its family and default model.
import { h } from "../dom";
import type { UseCase } from "../types";

export function useCaseList(useCases: UseCase[]): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "use-cases-heading" },
    h("h2", { id: "use-cases-heading" }, "Use cases"),
    h(
      "ul",
      { class: "use-cases" },
      useCases.map((useCase) =>
        h(
          "li",
          {},
          h("strong", {}, useCase.id),
          " ",
          h("span", { class: "tag" }, useCase.family),
          useCase.accepts_image ? h("span", { class: "tag" }, "image") : null,
          h("p", {}, useCase.description),
          h("p", { class: "hint" }, "Default model: ", useCase.default_model),
        ),
      ),
    ),
  );
}
