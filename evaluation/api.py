"""``make evaluate ENV=<env>``: send each request to the deployed API, signed with SigV4 (botocore's
signer, the standard credential chain). Fails fast, before any request, without credentials.

The API URL comes from ``--api-url``, else ``cdk.out/outputs-<env>.json`` (written by ``make deploy``),
else the ``ApiUrl`` output of the environment's API stack (CloudFormation DescribeStacks).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluation_metrics import requests

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 35  # above the API's integration timeout (29 s at most)
RETRIED_STATUSES = (429, 503)


class CredentialsMissing(SystemExit):
    pass


def credentials() -> Any:
    import botocore.session

    session = botocore.session.Session()
    creds = session.get_credentials()
    if creds is None:
        raise CredentialsMissing(
            "make evaluate: no AWS credentials found (standard chain: environment, profile, SSO, instance role); "
            "the API takes SigV4-signed requests only"
        )
    return creds


def api_url(env: str, stack_name: str, region: str, explicit: str | None = None) -> str:
    url = _find_api_url(env, stack_name, region, explicit)
    if not url.startswith("https://"):
        raise SystemExit(f"make evaluate: the API URL must start with https://, got {url!r}")
    return url


def _find_api_url(env: str, stack_name: str, region: str, explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    outputs = ROOT / "cdk.out" / f"outputs-{env}.json"
    if outputs.is_file():
        for values in json.loads(outputs.read_text()).values():
            if "ApiUrl" in values:
                return values["ApiUrl"].rstrip("/")
    import botocore.session

    client = botocore.session.Session().create_client("cloudformation", region_name=region)
    stack = client.describe_stacks(StackName=stack_name)["Stacks"][0]
    for output in stack.get("Outputs", ()):
        if output["OutputKey"] == "ApiUrl":
            return output["OutputValue"].rstrip("/")
    raise SystemExit(f"make evaluate: stack {stack_name} has no ApiUrl output; pass API_URL=...")


def transport(base_url: str, region: str, creds: Any, *, attempts: int = 4) -> Any:
    """A transport that POSTs the item's request to ``base_url`` + route, SigV4-signed for execute-api;
    429/503 are retried with backoff (the gateway's throttle), anything else is recorded as answered."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    def send(item: Mapping[str, Any], model: str) -> dict[str, Any]:
        path, body = requests.api_request(item, model)
        data = json.dumps(body, ensure_ascii=False).encode()
        for attempt in range(attempts):
            request = AWSRequest(method="POST", url=base_url + path, data=data,
                                 headers={"Content-Type": "application/json"})
            SigV4Auth(creds.get_frozen_credentials(), "execute-api", region).add_auth(request)
            prepared = urllib.request.Request(request.url, data=data, method="POST",  # noqa: S310 - https only (api_url)
                                              headers=dict(request.headers))
            try:
                with urllib.request.urlopen(prepared, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - https URL of our API
                    status, raw = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, raw = error.code, error.read()
            except (urllib.error.URLError, TimeoutError) as error:
                status, raw = 599, json.dumps({"error": {"code": "transport_error", "message": type(error).__name__}}).encode()
            if status not in RETRIED_STATUSES or attempt == attempts - 1:
                break
            time.sleep(min(8.0, 0.5 * 2**attempt))
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return requests.record(item, model, status, parsed)

    return send
