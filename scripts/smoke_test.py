#!/usr/bin/env python3
"""Smoke test of a deployed environment: ``GET /v1/use-cases`` signed with SigV4, and a sane answer.

    API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/v1/ python scripts/smoke_test.py
    python scripts/smoke_test.py --outputs-file cdk.out/outputs-dev.json   # after `cdk deploy --outputs-file`
    python scripts/smoke_test.py --unauthenticated   # a Cognito environment: an anonymous call must get 401

With ``--unauthenticated`` (or ``SMOKE_UNAUTHENTICATED=1``), for APIs behind a Cognito user-pool authorizer
that a pipeline holds no user for, the request is unsigned and the healthy answer is the gateway's JSON 401
(``unauthorized``): the stage is deployed and reachable and refuses anonymous callers; a 200 fails.

The URL is the API stage's invoke URL (the Api stack's ``ApiUrl`` output). Credentials come from the
usual chain (CodeBuild role, GitHub OIDC session, profile); the caller needs ``execute-api:Invoke`` on
the route. A freshly deployed stage can answer 5xx/429 for a moment, so those are retried a bounded
number of times; any other failure fails at once. Exit status: 0 healthy, 1 unhealthy, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUTE = "v1/use-cases"
OUTPUT_KEY = "ApiUrl"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
# The code of API Gateway's UNAUTHORIZED response (cdk/components/orchestration_api GATEWAY_ERRORS).
UNAUTHORIZED_CODE = "unauthorized"
_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class SmokeTestError(Exception):
    """The environment answered, but not as a healthy one should."""


class UsageError(Exception):
    """The smoke test cannot run: no URL, no region or no credentials."""


@dataclass(frozen=True)
class Result:
    status: int  # 200, or 401 for an unauthenticated check
    use_cases: int
    request_id: str | None
    attempts: int
    seconds: float


def api_url_from_outputs(path: Path) -> str:
    """The ``ApiUrl`` output from a ``cdk deploy --outputs-file`` JSON ({stack: {output: value}})."""
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path}: {error}") from error
    urls = [values[OUTPUT_KEY] for values in outputs.values() if isinstance(values, dict) and OUTPUT_KEY in values]
    if len(urls) != 1:
        raise UsageError(f"{path}: expected exactly one stack output named {OUTPUT_KEY}, found {len(urls)}")
    return urls[0]


def region_for(url: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    host = urllib.parse.urlsplit(url).hostname or ""
    match = _REGION_IN_HOST.search(host)
    region = match.group(1) if match else os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise UsageError(f"cannot tell the API's region from {host!r}: pass --region or set API_REGION")
    return region


def route_url(api_url: str) -> str:
    if not api_url.startswith(("https://", "http://")):
        raise UsageError(f"API URL must be http(s)://..., got {api_url!r}")
    return api_url.rstrip("/") + "/" + ROUTE


def signed_request(url: str, region: str, credentials: Any) -> urllib.request.Request:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=url, headers={"Accept": "application/json"})
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return urllib.request.Request(url, method="GET", headers=dict(request.headers.items()))  # noqa: S310 - http(s) only


def check_refusal(status: int, body: bytes) -> str | None:
    """The request id of the gateway's JSON 401, or SmokeTestError if the refusal is not the API's own."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise SmokeTestError(f"HTTP {status}: the refusal is not JSON ({len(body)} bytes)") from error
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or error.get("code") != UNAUTHORIZED_CODE:
        raise SmokeTestError(f"HTTP {status}: expected the gateway's {UNAUTHORIZED_CODE!r} error shape")
    return data.get("request_id")


def check_body(status: int, body: bytes) -> tuple[int, str | None]:
    """The number of use cases and the request id, or SmokeTestError naming what is wrong."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise SmokeTestError(f"HTTP {status}: the body is not JSON ({len(body)} bytes)") from error
    use_cases = data.get("use_cases") if isinstance(data, dict) else None
    if not isinstance(use_cases, list) or not use_cases:
        raise SmokeTestError(f"HTTP {status}: expected a non-empty 'use_cases' list")
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in use_cases):
        raise SmokeTestError(f"HTTP {status}: every use case needs a string 'id'")
    return len(use_cases), data.get("request_id")


def run(api_url: str, *, region: str, credentials: Any | None, attempts: int = 6, timeout: float = 10.0,
        backoff: float = 5.0, sleep=time.sleep) -> Result:
    """``credentials=None``: the unauthenticated check (an unsigned request must get the JSON 401)."""
    url = route_url(api_url)
    started = time.monotonic()
    last_error = "no attempt made"
    for attempt in range(1, attempts + 1):
        if credentials is None:
            request = urllib.request.Request(url, method="GET", headers={"Accept": "application/json"})  # noqa: S310
        else:
            request = signed_request(url, region, credentials)  # re-signed: a signature is valid for 5 minutes
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked above
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
            if credentials is None and status == 401:
                return Result(status, 0, check_refusal(status, body), attempt, time.monotonic() - started)
            if status not in RETRYABLE:
                hint = " (is execute-api:Invoke allowed for this caller on this route?)" if status == 403 else ""
                raise SmokeTestError(f"GET /{ROUTE} answered HTTP {status}{hint}") from None
            last_error = f"HTTP {status}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            last_error = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
        else:
            if status == 200 and credentials is None:
                raise SmokeTestError(f"GET /{ROUTE} answered an unsigned request with HTTP 200: the API is open")
            if status == 200:
                count, request_id = check_body(status, body)
                return Result(status, count, request_id, attempt, time.monotonic() - started)
            raise SmokeTestError(f"GET /{ROUTE} answered HTTP {status}")
        if attempt < attempts:
            print(f"smoke test: attempt {attempt}/{attempts}: {last_error}; retrying", file=sys.stderr)
            sleep(backoff * attempt)
    raise SmokeTestError(f"GET /{ROUTE} still failing after {attempts} attempts: {last_error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("API_URL"), help="the API stage's invoke URL (default: $API_URL)")
    parser.add_argument("--outputs-file", type=Path, help="read the ApiUrl output from `cdk deploy --outputs-file` JSON")
    parser.add_argument("--region", default=os.environ.get("API_REGION"), help="the API's region (default: from the URL)")
    parser.add_argument("--attempts", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--unauthenticated", action="store_true",
                        default=os.environ.get("SMOKE_UNAUTHENTICATED") == "1",
                        help="unsigned request; healthy means the JSON 401 (default: $SMOKE_UNAUTHENTICATED=1)")
    args = parser.parse_args(argv)
    try:
        url = api_url_from_outputs(args.outputs_file) if args.outputs_file else args.url
        if not url:
            raise UsageError("no API URL: set API_URL, or pass --url or --outputs-file")
        region = region_for(url, args.region)
        credentials = None if args.unauthenticated else _credentials()
        result = run(url, region=region, credentials=credentials, attempts=args.attempts, timeout=args.timeout)
    except UsageError as error:
        print(f"smoke test: {error}", file=sys.stderr)
        return 2
    except SmokeTestError as error:
        print(f"smoke test FAILED: {error}", file=sys.stderr)
        return 1
    what = "anonymous call refused" if args.unauthenticated else f"{result.use_cases} use cases"
    print(f"smoke test passed: GET /{ROUTE} -> HTTP {result.status}, {what}, "
          f"request id {result.request_id}, {result.attempts} attempt(s), {result.seconds:.1f}s")
    return 0


def _credentials() -> Any:
    import botocore.session

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise UsageError("no AWS credentials found to sign the request")
    return credentials


if __name__ == "__main__":
    sys.exit(main())
