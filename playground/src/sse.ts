// Server-Sent Events read from fetch's ReadableStream (EventSource cannot POST or send an Authorization
// header). Per the HTML spec's event-stream format: lines end with \n, \r\n or \r; a blank line ends an
// event; "data:" lines are joined with \n; one leading space after the colon is dropped; ":" lines are comments.

export interface SseMessage {
  event: string;
  data: string;
}

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "message";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let match: RegExpExecArray | null;
      // A trailing \r may be the first half of \r\n: keep it until the next chunk. At the end nothing can follow,
      // so it ends a line (it may end the last event).
      const lineEnd = done ? /\r\n|\n|\r/ : /\r\n|\n|\r(?!$)/;
      while ((match = lineEnd.exec(buffer)) !== null) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n") };
          data = [];
          event = "message";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (name === "data") data.push(value);
        else if (name === "event") event = value;
      }
      if (done) break;
    }
  } finally {
    reader.releaseLock();
  }
  // The spec drops an unterminated last event; so do we.
}
