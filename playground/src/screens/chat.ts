// Chat with history: replies streamed in (POST /v1/chat/stream), the caller's conversations listed, resumed
// and deleted (GET/DELETE /v1/conversations..., owner-scoped by the API).
import type { StreamEvent } from "../api";
import type { Context } from "../context";
import { field, h, replaceChildren } from "../dom";
import { errorView } from "../errors";
import { modelSelect, submitRuns } from "../view";

interface ConversationSummary {
  conversation_id: string;
  title: string;
  model: string;
  turns: number;
  updated_at: string;
}

interface Conversation {
  conversation_id: string;
  model: string;
  turns: { role: string; text: string }[];
  truncated?: boolean;
}

export function chatScreen(ctx: Context): HTMLElement {
  const { catalog, api, auth } = ctx;
  const chatUseCase = catalog.useCases.find((useCase) => useCase.family === "chat");
  const { field: modelField, select: model } = modelSelect(catalog.models, chatUseCase?.default_model ?? catalog.models[0].id);
  const message = h("textarea", { rows: 3, required: true });
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  const newButton = h("button", { type: "button" }, "New conversation");
  const stopButton = h("button", { type: "button", hidden: true }, "Stop");
  const transcript = h("ol", { class: "transcript", "aria-label": "Conversation", "aria-live": "polite" });
  const status = h("p", { class: "hint" }, "New conversation.");
  const errors = h("div", { class: "error-slot" });
  const list = h("ul", { class: "conversations" });
  const listErrors = h("div", { class: "error-slot" });
  let conversationId: string | null = null;
  let controller: AbortController | null = null;
  stopButton.addEventListener("click", () => controller?.abort());

  const turn = (role: string, text: string) => {
    const body = h("div", { class: "turn-text" }, text);
    transcript.append(h("li", { class: `turn ${role}` }, h("span", { class: "role" }, role === "user" ? "You" : "Assistant"), body));
    return body;
  };

  const start = (id: string | null, label: string) => {
    conversationId = id;
    status.textContent = label;
  };

  const entry = (item: ConversationSummary) => {
    const title = item.title || "(untitled)";
    return h(
      "li",
      {},
      h("button", { type: "button", class: "link", onclick: () => void resume(item.conversation_id) }, title),
      h("span", { class: "hint" }, ` ${item.turns} messages, ${item.model}`),
      " ",
      h("button", { type: "button", "aria-label": `Delete conversation: ${title}`, onclick: () => void remove(item) }, "Delete"),
    );
  };

  /** The caller's conversations, newest first; "More conversations" follows next_token. */
  async function refresh(nextToken?: string): Promise<void> {
    replaceChildren(listErrors);
    try {
      const query = nextToken ? `?next_token=${encodeURIComponent(nextToken)}` : "";
      const page = await api.get<{ conversations: ConversationSummary[]; next_token?: string }>(`/conversations${query}`);
      if (!nextToken) replaceChildren(list);
      list.querySelector("li.more")?.remove();
      if (!nextToken && page.conversations.length === 0) list.append(h("li", { class: "hint" }, "No conversations yet."));
      const entries = page.conversations.map(entry);
      list.append(...entries);
      if (page.next_token) {
        const token = page.next_token;
        list.append(h("li", { class: "more" }, h("button", { type: "button", onclick: () => void refresh(token) }, "More conversations")));
      }
      // "More conversations" removed the button that had focus: continue at the first conversation it brought.
      if (nextToken) (entries[0]?.querySelector("button") ?? list.querySelector<HTMLButtonElement>("li.more button"))?.focus();
    } catch (error) {
      replaceChildren(listErrors, errorView(error, auth));
    }
  }

  async function resume(id: string): Promise<void> {
    replaceChildren(errors);
    try {
      const conversation = await api.get<Conversation>(`/conversations/${encodeURIComponent(id)}`);
      replaceChildren(transcript);
      for (const item of conversation.turns) turn(item.role, item.text);
      if (catalog.models.some((candidate) => candidate.id === conversation.model)) model.value = conversation.model;
      const note = conversation.truncated ? " (only its newest messages are shown)" : "";
      start(conversation.conversation_id, `Resumed conversation ${conversation.conversation_id}${note}.`);
      message.focus();
    } catch (error) {
      replaceChildren(errors, errorView(error, auth));
    }
  }

  async function remove(item: ConversationSummary): Promise<void> {
    replaceChildren(listErrors);
    try {
      await api.delete(`/conversations/${encodeURIComponent(item.conversation_id)}`);
      if (conversationId === item.conversation_id) {
        replaceChildren(transcript);
        start(null, "Conversation deleted. New conversation.");
      }
      await refresh();
      newButton.focus();
    } catch (error) {
      replaceChildren(listErrors, errorView(error, auth));
    }
  }

  newButton.addEventListener("click", () => {
    replaceChildren(transcript);
    replaceChildren(errors);
    start(null, "New conversation.");
    message.focus();
  });

  const form = h(
    "form",
    {
      "aria-label": "New chat turn",
      onsubmit: submitRuns(sendButton, errors, auth, async () => {
        const text = message.value;
        turn("user", text);
        const reply = turn("assistant", "");
        const body: Record<string, unknown> = { message: text, model: model.value };
        if (conversationId) body.conversation_id = conversationId;
        const stream = new AbortController();
        controller = stream;
        stopButton.hidden = false;
        try {
          await api.stream("/chat/stream", body, (event: StreamEvent) => {
            if (event.type === "start" && event.conversation_id) start(event.conversation_id, `Conversation ${event.conversation_id}.`);
            else if (event.type === "delta") reply.append(document.createTextNode(event.text));
          }, stream.signal);
        } catch (error) {
          // Stopped: the partial reply stays, marked; the message stays in the box to send again or edit.
          if (stream.signal.aborted) reply.after(h("p", { class: "hint" }, "Stopped by you: this reply is incomplete."));
          else if (!reply.textContent) reply.closest("li")?.remove();
          throw error;
        } finally {
          stopButton.hidden = true;
        }
        if (message.value === text) message.value = ""; // keep what was typed while the reply streamed
        await refresh();
      }, () => {
        // The Stop button that had focus is hidden again: continue at Send, not at the page's start.
        if (controller?.signal.aborted) sendButton.focus();
      }),
    },
    modelField,
    field("Message", message),
    h("div", { class: "actions" }, sendButton, stopButton, newButton),
  );

  void refresh();
  return h(
    "div",
    { class: "two-columns chat" },
    h("section", { "aria-labelledby": "conversations-heading" }, h("h3", { id: "conversations-heading" }, "Conversations"), listErrors, list),
    h("div", {}, status, transcript, errors, form),
  );
}
