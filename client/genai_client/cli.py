"""``genai-call``: call any route of the orchestration API and print the answer.

    genai-call POST /v1/generate/stream --data '{"use_case": "summarize", "input": "..."}'
    genai-call GET /v1/models
    genai-call POST /v1/chat/stream --data @message.json --auth cognito --token "$ID_TOKEN"

The base URL comes from ``--url`` or ``GENAI_API_URL`` (the stack's ``ApiUrl`` output). IAM auth signs
with SigV4 (service ``execute-api``) from the standard AWS credential chain (environment, profile,
SSO, instance or container role), through botocore; Cognito auth sends the user pool's ID token.

A streamed route's text is printed as it arrives; ``usage`` and the stop reason go to stderr. Errors
(JSON error bodies, or a stream's ``error`` event) are printed to stderr with their request id, and
the exit status is 1. Exit 2: the command line or the credentials are wrong; 3: the stream ended
without ``done`` or ``error`` (a cut connection).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from genai_client.sse import events

_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_CUT = 0, 1, 2, 3


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="genai-call", description="Call the genai-stack orchestration API.")
    parser.add_argument("method", choices=("GET", "POST"), type=str.upper)
    parser.add_argument("path", help="a route, e.g. /v1/generate/stream")
    parser.add_argument("--data", help="the JSON body, @file to read it from a file, or - for stdin")
    parser.add_argument("--url", default=os.environ.get("GENAI_API_URL"), help="the API's base URL (env GENAI_API_URL)")
    parser.add_argument("--auth", choices=("iam", "cognito"), default=os.environ.get("GENAI_API_AUTH", "iam"))
    parser.add_argument("--token", default=os.environ.get("GENAI_ID_TOKEN"), help="Cognito ID token (env GENAI_ID_TOKEN)")
    parser.add_argument("--region", help="signing region (default: from the URL, else the AWS config)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for each read (default 900)")
    return parser.parse_args(argv)


def read_body(data: str | None, stdin: TextIO) -> bytes | None:
    if data is None:
        return None
    text = stdin.read() if data == "-" else open(data[1:], encoding="utf-8").read() if data.startswith("@") else data  # noqa: SIM115
    json.loads(text)  # fail here, not at the API, on a body that is not JSON
    return text.encode("utf-8")


def signed_headers(method: str, url: str, body: bytes | None, args: argparse.Namespace) -> dict[str, str]:
    headers = {"Accept": "text/event-stream, application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if args.auth == "cognito":
        if not args.token:
            raise SystemExit("genai-call: --auth cognito needs --token or GENAI_ID_TOKEN")
        headers["Authorization"] = args.token
        return headers
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = botocore.session.get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise SystemExit("genai-call: no AWS credentials found (environment, profile, SSO or role)")
    match = _REGION_IN_HOST.search(urlsplit(url).netloc)
    region = args.region or (match.group(1) if match else None) or session.get_config_variable("region")
    if not region:
        raise SystemExit("genai-call: no signing region; pass --region")
    request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def call(args: argparse.Namespace, body: bytes | None, out: TextIO, err: TextIO) -> int:
    if not args.url:
        print("genai-call: pass --url or set GENAI_API_URL (the stack's ApiUrl output)", file=err)
        return EXIT_USAGE
    url = args.url.rstrip("/") + "/" + args.path.lstrip("/")
    headers = signed_headers(args.method, url, body, args)
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.netloc, timeout=args.timeout)
    try:
        connection.request(args.method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
        response = connection.getresponse()
        if response.getheader("Content-Type", "").startswith("text/event-stream") and response.status == 200:
            return print_stream(response, out, err)
        return print_json(response.status, response.read(), out, err)
    finally:
        connection.close()


def print_stream(response: Any, out: TextIO, err: TextIO) -> int:
    lines = (raw.decode("utf-8") for raw in iter(response.readline, b""))
    for event in events(lines):
        kind = event.get("type")
        if kind == "delta":
            out.write(event.get("text", ""))
            out.flush()
        elif kind == "usage":
            print(f"\n[usage] input {event.get('input_tokens')} / output {event.get('output_tokens')} tokens, "
                  f"~${event.get('estimated_cost_usd', 0):g}", file=err)
        elif kind == "done":
            print(f"[done] {event.get('stop_reason')} (request {event.get('request_id')})", file=err)
            return EXIT_OK
        elif kind == "error":
            print_error(event.get("error") or {}, event.get("request_id"), err)
            return EXIT_API_ERROR
    print("\ngenai-call: the stream ended without 'done' or 'error' (connection cut)", file=err)
    return EXIT_CUT


def print_json(status: int, raw: bytes, out: TextIO, err: TextIO) -> int:
    try:
        body = json.loads(raw)
    except ValueError:
        print(f"genai-call: HTTP {status}, a body that is not JSON ({len(raw)} bytes)", file=err)
        return EXIT_API_ERROR
    if status >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        print_error(error if isinstance(error, dict) else {"message": str(body)}, body.get("request_id"), err, status)
        return EXIT_API_ERROR
    json.dump(body, out, indent=1, ensure_ascii=False)
    out.write("\n")
    return EXIT_OK


def print_error(error: dict[str, Any], request_id: Any, err: TextIO, status: int | None = None) -> None:
    where = f" on field {error['field']}" if error.get("field") else ""
    prefix = f"HTTP {status} " if status else ""
    print(f"\nerror: {prefix}{error.get('code', 'error')}{where}: {error.get('message', '')} (request {request_id})", file=err)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    args = parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    try:
        body = read_body(args.data, sys.stdin)
    except (OSError, ValueError) as exc:
        print(f"genai-call: --data: {exc}", file=err)
        return EXIT_USAGE
    try:
        return call(args, body, out, err)
    except SystemExit as exc:
        print(exc.code, file=err)
        return EXIT_USAGE
    except (OSError, http.client.HTTPException) as exc:
        print(f"genai-call: {type(exc).__name__}: {exc}", file=err)
        return EXIT_CUT


if __name__ == "__main__":
    sys.exit(main())
