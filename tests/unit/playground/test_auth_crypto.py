"""The playground's sign-in cryptography under Node.js (WebCrypto, as in the browser): the SigV4 signer
(playground/src/auth/sigv4.ts) signs exactly as botocore does, and the PKCE challenge (src/auth/cognito.ts) is
RFC 7636's S256."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 12, 3, 12, 34, 56)
CREDENTIALS = {"accessKeyId": "ASIAEXAMPLEEXAMPLE01", "secretAccessKey": "c2VjcmV0/c2VjcmV0+c2VjcmV0",
               "sessionToken": "FwoGZXIvYXdzEXAMPLE//token=="}
HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"

CASES = [
    ("POST", "/dev/v1/generate", "", '{"use_case": "summarize", "input": "Grüße, 你好 & more"}'),
    ("GET", "/dev/v1/conversations", "next_token=a%2Bb%3D&limit=5", None),
    ("DELETE", "/dev/v1/conversations/6f1c2a9e-0a1b-4c2d-8e3f-123456789abc", "", None),
]


def js_headers(run_module: Callable[[str, str], Any], method: str, path: str, query: str, body: str | None) -> Any:
    return run_module("src/auth/sigv4.ts", f"""
      const headers = await module.sign({{
        method: {json.dumps(method)}, host: {json.dumps(HOST)}, path: {json.dumps(path)},
        query: new URLSearchParams({json.dumps(query)}), body: {json.dumps(body)} ?? undefined,
        region: "eu-west-1", service: "execute-api", credentials: {json.dumps(CREDENTIALS)},
        now: new Date({json.dumps(NOW.isoformat() + "Z")}),
      }});
      console.log(JSON.stringify(headers));
    """)


def botocore_headers(method: str, path: str, query: str, body: str | None) -> dict[str, str]:
    url = f"https://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body.encode() if body is not None else None)
    credentials = Credentials(CREDENTIALS["accessKeyId"], CREDENTIALS["secretAccessKey"], CREDENTIALS["sessionToken"])
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        SigV4Auth(credentials, "execute-api", "eu-west-1").add_auth(request)
    return {name: request.headers[name] for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")}


@pytest.mark.parametrize(("method", "path", "query", "body"), CASES, ids=[case[0] for case in CASES])
def test_signature_matches_botocore(run_module, method: str, path: str, query: str, body: str | None) -> None:
    assert js_headers(run_module, method, path, query, body) == botocore_headers(method, path, query, body)


def test_pkce_challenge_is_rfc_7636_s256(run_module) -> None:
    # RFC 7636 appendix B: the example code_verifier and its S256 code_challenge.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = run_module("src/auth/cognito.ts", f"console.log(JSON.stringify(await module.pkceChallenge('{verifier}')))")
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
