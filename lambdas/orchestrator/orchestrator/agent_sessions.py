"""Agent sessions, scoped to their owner (``POST /v1/agent``) without a session table.

A session id is minted by the API for one owner: ``<32 hex random>-<16 hex tag>``, the tag a SHA-256 of
the owner and the random part. A session id whose tag does not match the caller is someone else's (or
made up): 404 ``session_not_found``, as a conversation of another caller is. The tag needs no secret:
forging one for yourself only names a session of your own, because everything behind the id is
keyed by the owner too:

* the AgentCore runtime session (``runtimeSessionId``) is a SHA-256 of owner and session id, so two
  owners can never share a runtime session (its microVM and whatever it keeps in memory), even if
  one of them learns the other's session id;
* the agent's memory actor is derived from the owner by the Runtime itself (``agent_runtime.memory``).

Verified against botocore's bedrock-agentcore model (1.44.x, ``InvokeAgentRuntimeRequest``):
``runtimeSessionId`` is a header of 33..256 characters (shape ``SessionType``, no pattern); the
Runtime's own ``session_id`` check is ``[A-Za-z0-9][A-Za-z0-9_-]{0,63}`` (agent_runtime/app.py).
An expired session (the memory's event expiry) is not detected here: it continues with no history.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from .api_schema import session_id_pattern
from .errors import NotFound, ValidationError

#: POST /v1/agent's ``session_id`` pattern (schemas/requests.json), matched whole: ``$`` alone would let a
#: trailing newline through, which then failed the tag check as someone else's session (404, not 400).
SESSION_ID = re.compile(session_id_pattern())
_TAG_DOMAIN = b"genai-stack/agent-session-tag\x00"
_RUNTIME_DOMAIN = b"genai-stack/agent-runtime-session\x00"
RUNTIME_SESSION_PREFIX = "api-"


def _tag(owner: str, nonce: str) -> str:
    return hashlib.sha256(_TAG_DOMAIN + owner.encode("utf-8") + b"\x00" + nonce.encode("ascii")).hexdigest()[:16]


def new_session(owner: str) -> str:
    nonce = secrets.token_hex(16)
    return f"{nonce}-{_tag(owner, nonce)}"


def checked_session(owner: str, session_id: object) -> str:
    """The caller's session id, or 400 (malformed) / 404 (another owner's or made up)."""
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
        raise ValidationError("session_id must be a session id returned by POST /v1/agent", field="session_id")
    nonce, tag = session_id.split("-")
    if not hmac.compare_digest(tag, _tag(owner, nonce)):
        raise NotFound("no such agent session for this caller; omit session_id to start a new one",
                       code="session_not_found", field="session_id")
    return session_id


def runtime_session_id(owner: str, session_id: str) -> str:
    """The AgentCore runtimeSessionId of the owner's session: 68 characters (33..256 allowed)."""
    digest = hashlib.sha256(_RUNTIME_DOMAIN + owner.encode("utf-8") + b"\x00" + session_id.encode("ascii"))
    return RUNTIME_SESSION_PREFIX + digest.hexdigest()
