"""The playground's API client (playground/src/api.ts) under Node.js with fetch played by the test: what reaches the
page when a stream is cut short, fails mid-way, or sign-in itself fails before a request is sent."""

from __future__ import annotations

import json

#: Node has fetch, Response and ReadableStream but no page: the client reads location.origin.
PAGE = "globalThis.location = {origin: 'https://playground.example'};"


def stream_outcome(run_module, frames: list[str], auth: str = "{headers: async () => ({})}") -> dict:
    """Runs Api.stream over a 200 text/event-stream answer made of ``frames``; the events seen and the error."""
    return run_module("src/api.ts", PAGE + f"""
      const frames = {json.dumps(frames)};
      globalThis.fetch = async () => new Response(new ReadableStream({{
        start(controller) {{
          for (const frame of frames) controller.enqueue(new TextEncoder().encode(frame));
          controller.close();
        }},
      }}), {{status: 200, headers: {{"Content-Type": "text/event-stream"}}}});
      const api = new module.Api("/v1", {auth});
      const events = [];
      let error = null;
      try {{
        await api.stream("/generate/stream", {{}}, (event) => events.push(event.type));
      }} catch (caught) {{
        error = {{name: caught.constructor.name, status: caught.status, code: caught.code, message: caught.message,
                 requestId: caught.requestId, needsSignIn: caught.needsSignIn, retryAfter: caught.retryAfter}};
      }}
      console.log(JSON.stringify({{events, error}}));
    """)


START = 'data: {"type":"start","request_id":"req-1","model":"m"}\n\n'
DELTA = 'data: {"type":"delta","text":"Half an ans"}\n\n'


def test_a_stream_cut_short_before_its_done_event_is_an_error_not_a_complete_answer(run_module) -> None:
    outcome = stream_outcome(run_module, [START, DELTA])
    assert outcome["events"] == ["start", "delta"]
    error = outcome["error"]
    assert error is not None, "a stream that ended without done/error was shown as a complete answer"
    assert error["code"] == "stream_incomplete" and error["requestId"] == "req-1"


def test_a_complete_stream_is_not_an_error(run_module) -> None:
    done = 'data: {"type":"done","stop_reason":"end_turn","request_id":"req-1"}\n\n'
    assert stream_outcome(run_module, [START, DELTA, done]) == {"events": ["start", "delta", "done"], "error": None}


def test_an_error_event_after_the_200_is_not_reported_as_http_200(run_module) -> None:
    failed = 'data: {"type":"error","error":{"code":"model_throttled","message":"slow down"},"request_id":"req-1"}\n\n'
    error = stream_outcome(run_module, [START, failed])["error"]
    assert (error["code"], error["message"], error["requestId"]) == ("model_throttled", "slow down", "req-1")
    assert error["status"] != 200, "the stream's error was labelled with the HTTP status of the stream's start"


def test_a_throttled_stream_says_how_long_to_wait_like_the_buffered_429(run_module) -> None:
    failed = ('data: {"type":"error","error":{"code":"throttled","message":"slow down"},"status":429,'
              '"retry_after":2,"request_id":"req-1"}\n\n')
    error = stream_outcome(run_module, [START, failed])["error"]
    assert (error["code"], error["retryAfter"], error["requestId"]) == ("throttled", 2, "req-1")


def test_a_sign_in_failure_is_reported_as_such_with_sign_in_offered_not_as_an_unreachable_api(run_module) -> None:
    failing = "{headers: async () => { throw new Error('sign-in failed: the state does not match'); }}"
    error = stream_outcome(run_module, [START], auth=failing)["error"]
    assert "could not be reached" not in error["message"], error
    assert error["code"] == "sign_in_failed" and "state does not match" in error["message"]
    assert error["needsSignIn"] is True


def test_error_titles_always_name_the_code(run_module) -> None:
    titles = run_module("src/errors.ts", """
      console.log(JSON.stringify([
        module.errorTitle({status: 429, code: "throttled"}),
        module.errorTitle({status: 0, code: "model_throttled"}),
      ]));
    """)
    assert titles == ["Error 429 (throttled): ", "Error (model_throttled): "]


def test_api_base_must_be_a_path_on_the_pages_own_origin(run_module) -> None:
    bases = run_module("src/config.ts", """
      const bases = [];
      for (const api_base of ["/v1/", "//attacker.example/v1", "/\\\\attacker.example", "https://attacker.example"]) {
        globalThis.fetch = async () => new Response(JSON.stringify({auth: {mode: "stub"}, api_base}));
        bases.push((await module.loadConfig()).api_base);
      }
      console.log(JSON.stringify(bases));
    """)
    assert bases == ["/v1", "/v1", "/v1", "/v1"]


def test_an_event_that_is_not_json_is_an_api_error_with_the_request_id(run_module) -> None:
    error = stream_outcome(run_module, [START, "data: {not json\n\n"])["error"]
    assert (error["name"], error["code"], error["requestId"]) == ("ApiError", "bad_stream_event", "req-1")


def test_nothing_more_is_handed_on_once_the_stream_is_stopped(run_module) -> None:
    # Events already received in one chunk must not reach the page after Stop (abort) was pressed.
    outcome = run_module("src/api.ts", PAGE + f"""
      globalThis.fetch = async (to, init) => new Response(new ReadableStream({{
        start(controller) {{
          controller.enqueue(new TextEncoder().encode({json.dumps(START + DELTA + DELTA)}));
        }},
      }}), {{status: 200}});
      const api = new module.Api("/v1", {{headers: async () => ({{}})}});
      const controller = new AbortController();
      const events = [];
      let error = null;
      try {{
        await api.stream("/generate/stream", {{}}, (event) => {{
          events.push(event.type);
          if (event.type === "delta") controller.abort();
        }}, controller.signal);
      }} catch (caught) {{
        error = caught.name;
      }}
      console.log(JSON.stringify({{events, error}}));
    """)
    assert outcome == {"events": ["start", "delta"], "error": "AbortError"}
