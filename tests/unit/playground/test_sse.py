"""The playground's Server-Sent Events reader (playground/src/sse.ts) over fetch's byte stream: events split at any
byte (mid-line, mid-CRLF, mid-UTF-8 character) come out whole, per the HTML event-stream format."""

from __future__ import annotations

import json

import pytest

STREAM = ('data: {"type":"start"}\r\n\r\n: a comment\n'
          'data: {"type":"delta","text":"Grüße 你好"}\n\n'
          'event: note\ndata:first\ndata: second\r\r'
          'data: {"type":"done"}\n\n'
          'data: unterminated')
EXPECTED = [
    {"event": "message", "data": '{"type":"start"}'},
    {"event": "message", "data": '{"type":"delta","text":"Grüße 你好"}'},
    {"event": "note", "data": "first\nsecond"},
    {"event": "message", "data": '{"type":"done"}'},
]


def read_events(run_module, text: str, chunk_size: int) -> list[dict]:
    """readSse over ``text``'s UTF-8 bytes delivered ``chunk_size`` bytes at a time."""
    data = list(text.encode("utf-8"))
    return run_module("src/sse.ts", f"""
      const bytes = new Uint8Array({json.dumps(data)});
      const body = new ReadableStream({{
        start(controller) {{
          for (let i = 0; i < bytes.length; i += {chunk_size}) controller.enqueue(bytes.slice(i, i + {chunk_size}));
          controller.close();
        }},
      }});
      const out = [];
      for await (const message of module.readSse(body)) out.push(message);
      console.log(JSON.stringify(out));
    """)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1000])
def test_events_survive_any_chunking(run_module, chunk_size: int) -> None:
    assert read_events(run_module, STREAM, chunk_size) == EXPECTED


@pytest.mark.parametrize("chunk_size", [1, 1000])
def test_an_event_ended_by_a_carriage_return_at_the_very_end_is_dispatched(run_module, chunk_size: int) -> None:
    # "\r" alone ends a line (HTML event-stream format); it was held back as a possible "\r\n" and, with nothing
    # after it, the stream's last event (the done event that says the answer is complete) was dropped.
    messages = read_events(run_module, 'data: {"type":"done"}\r\r', chunk_size)
    assert messages == [{"event": "message", "data": '{"type":"done"}'}]
