// The orchestration API on the page's own origin (config.json api_base, "/v1"). Every failure becomes an
// ApiError carrying what the page must show: the message, the request id, and Retry-After for 429/503.
import type { Auth } from "./auth";
import { readSse } from "./sse";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly retryAfter: number | null = null,
    readonly field: string | null = null,
  ) {
    super(message);
  }

  /** 401/403, or sign-in failed before the request: the caller must (re-)sign in. */
  get needsSignIn(): boolean {
    return this.status === 401 || this.status === 403 || this.code === "sign_in_failed";
  }
}

export type StreamEvent =
  | { type: "start"; request_id: string; model: string; conversation_id?: string }
  | { type: "delta"; text: string }
  | { type: "citation"; n: number; source: string; score: number; excerpt: string }
  | { type: "usage"; input_tokens: number; output_tokens: number; estimated_cost_usd?: number }
  | { type: "done"; stop_reason: string | null; request_id: string; turn?: number; grounding?: unknown }
  | {
      type: "error";
      error: { code: string; message: string; field?: string };
      status: number;
      retry_after?: number;
      request_id: string;
    };

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string };
  message?: string;
  request_id?: string;
}

function retryAfterSeconds(response: Response): number | null {
  const header = response.headers.get("Retry-After");
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseEvent(data: string, requestId: string | null): StreamEvent {
  try {
    return JSON.parse(data) as StreamEvent;
  } catch {
    throw new ApiError(0, "bad_stream_event", "The stream sent an event that is not JSON.", requestId);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    // Not JSON (a proxy's or gateway's page): fall back to the status line.
  }
  const requestId =
    body.request_id ?? response.headers.get("x-amzn-RequestId") ?? response.headers.get("x-amz-cf-id") ?? null;
  return new ApiError(
    response.status,
    body.error?.code ?? `http_${response.status}`,
    body.error?.message ?? body.message ?? `HTTP ${response.status} ${response.statusText}`.trim(),
    requestId,
    retryAfterSeconds(response),
    body.error?.field ?? null,
  );
}

export class Api {
  constructor(
    private readonly base: string,
    private readonly auth: Auth,
  ) {}

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = new URL(this.base + path, location.origin);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const response = await this.attempt(method, url, text, signal);
    if (response.ok) return response;
    const error = await errorOf(response);
    // A signed request refused for the browser's clock (SigV4 allows 5 minutes): once more, on the API's clock.
    if (error.status === 403 && this.auth.adoptServerClock?.(error.message)) {
      const again = await this.attempt(method, url, text, signal);
      if (again.ok) return again;
      throw await errorOf(again);
    }
    throw error;
  }

  private async attempt(method: string, url: URL, text: string | undefined, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json, text/event-stream" };
    if (text !== undefined) headers["Content-Type"] = "application/json";
    try {
      Object.assign(headers, await this.auth.headers(method, url, text));
    } catch (error) {
      // Sign-in itself failed (a refused code exchange, a state mismatch, no credentials): no request was sent.
      throw new ApiError(0, "sign_in_failed", messageOf(error), null);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: text, signal, credentials: "same-origin" });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, "network_error", `The API could not be reached (${messageOf(error)}).`, null);
    }
    return response;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.send("GET", path)).json()) as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.send("POST", path, body)).json()) as T;
  }

  async delete(path: string): Promise<void> {
    await this.send("DELETE", path);
  }

  /** A streamed route: each SSE event's JSON handed to onEvent as it arrives. An 'error' event throws, and so does
   * a stream that ends without its 'done' (every stream ends with exactly one of the two: a cut connection or a
   * timed-out origin would otherwise look like a complete answer). */
  async stream(path: string, body: unknown, onEvent: (event: StreamEvent) => void, signal?: AbortSignal): Promise<void> {
    const response = await this.send("POST", path, body, signal);
    if (!response.body) throw new ApiError(response.status, "empty_stream", "The stream had no body.", null);
    let requestId: string | null = response.headers.get("x-amzn-RequestId");
    for await (const message of readSse(response.body)) {
      const event = parseEvent(message.data, requestId);
      if (event.type === "start") requestId = event.request_id;
      if (event.type === "error") {
        // Status 0: the HTTP status (200) was sent before the failure. The event's retry_after is the wait the
        // buffered route's Retry-After would have given.
        throw new ApiError(0, event.error.code, event.error.message, event.request_id, event.retry_after ?? null,
          event.error.field ?? null);
      }
      onEvent(event);
      if (event.type === "done") return;
      // Stopped: events that arrived in the same chunk as the one just shown are not shown after the Stop.
      signal?.throwIfAborted();
    }
    throw new ApiError(0, "stream_incomplete", "The answer stopped before its end (the connection was cut); what " +
      "arrived is incomplete.", requestId);
  }
}
