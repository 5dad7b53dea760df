// Screen a text without a model call (POST /v1/moderate): the verdict, the text with each PII entity marked
// by its type (moderation.pii.entities: offsets into the text as sent), and the toxicity labels with scores.
import type { Context } from "../context";
import { field, h, replaceChildren } from "../dom";
import { figures, submitRuns } from "../view";

interface Entity {
  type: string;
  begin: number;
  end: number;
}

/** Guardrail labels (fired content filters) have no score. */
type Label = { name: string; score: number | null };

interface Moderation {
  verdict: "allowed" | "blocked";
  blocked_by?: string[] | null;
  language?: string | null;
  pii?: { entities?: Entity[]; types?: string[]; masked_count?: number };
  toxicity?: { toxicity?: number; labels?: Label[]; reasons?: string[]; blocked?: boolean };
  guardrail?: { action?: string; policies?: string[] };
}

/** The labels ([{name, score}], schemas/responses.json ModerateResponse), fired guardrail filters first, then by score. */
function labelList(labels: Label[] | undefined): Label[] {
  return [...(labels ?? [])].sort((a, b) => (b.score ?? 2) - (a.score ?? 2));
}

/** The text with each entity as <mark>; offsets count Unicode code points (Python string indices). */
function highlight(text: string, entities: Entity[]): (Node | string)[] {
  const chars = Array.from(text);
  const parts: (Node | string)[] = [];
  let cursor = 0;
  for (const entity of [...entities].sort((a, b) => a.begin - b.begin)) {
    if (entity.begin < cursor || entity.end > chars.length || entity.end <= entity.begin) continue;
    parts.push(chars.slice(cursor, entity.begin).join(""));
    parts.push(
      h(
        "mark",
        { class: "pii" },
        chars.slice(entity.begin, entity.end).join(""),
        h("span", { class: "pii-type" }, ` [${entity.type}]`),
      ),
    );
    cursor = entity.end;
  }
  parts.push(chars.slice(cursor).join(""));
  return parts;
}

export function moderateScreen(ctx: Context): HTMLElement {
  const { api, auth } = ctx;
  const text = h("textarea", { rows: 6, required: true });
  const language = h("input", { type: "text", pattern: "[a-z]{2}(-[A-Z]{2})?", placeholder: "auto" });
  const button = h("button", { type: "submit", class: "primary" }, "Screen text");
  const errors = h("div", { class: "error-slot" });
  const result = h("section", { class: "moderation", "aria-label": "Moderation result", "aria-live": "polite" });

  const form = h(
    "form",
    {
      "aria-label": "Text to moderate",
      onsubmit: submitRuns(button, errors, auth, async () => {
        const sent = text.value;
        replaceChildren(result);
        const body: Record<string, string> = { text: sent };
        if (language.value.trim()) body.language = language.value.trim();
        const { moderation, request_id } = await api.post<{ moderation: Moderation; request_id: string }>("/moderate", body);
        replaceChildren(result, moderationView(sent, moderation, request_id));
      }),
    },
    field("Text to screen", text),
    field("Language (optional)", language, "A code such as en or es; detected when empty."),
    h("div", { class: "actions" }, button),
  );
  return h("div", { class: "two-columns" }, form, h("div", {}, errors, result));
}

function moderationView(sent: string, moderation: Moderation, requestId: string): HTMLElement {
  const entities = moderation.pii?.entities ?? [];
  const types = [...new Set(entities.map((entity) => entity.type))];
  const labels = labelList(moderation.toxicity?.labels);
  return h(
    "div",
    {},
    h("h3", {}, "Verdict: ", h("span", { class: `verdict ${moderation.verdict}` }, moderation.verdict)),
    figures(
      [
        ["Blocked by", moderation.blocked_by?.length ? moderation.blocked_by.join(", ") : "nothing"],
        ["Language", moderation.language ?? "unknown"],
        ["PII types", types.length ? types.join(", ") : "none found"],
        ["Toxicity", moderation.toxicity?.toxicity !== undefined ? moderation.toxicity.toxicity.toFixed(2) : "n/a"],
        ["Guardrail", moderation.guardrail?.action ?? "n/a"],
        ["Request id", requestId],
      ],
      "Moderation summary",
    ),
    h("h4", {}, "PII in the text"),
    h("p", { class: "highlighted" }, highlight(sent, entities)),
    h("h4", {}, "Toxicity labels"),
    labels.length === 0
      ? h("p", { class: "hint" }, "No labels.")
      : h(
          "table",
          { class: "labels" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Label"), h("th", { scope: "col" }, "Score"))),
          h(
            "tbody",
            {},
            labels.map((label) =>
              h("tr", { class: moderation.toxicity?.reasons?.includes(label.name) ? "flagged" : null }, h("td", {}, label.name), h("td", {}, label.score === null ? "fired" : label.score.toFixed(2))),
            ),
          ),
        ),
  );
}
