"""Who owns a conversation: derived from what API Gateway authenticated, so that two people never
share one by accident. One rule, used for every route (``routes.py``) and documented in the README
(API reference, "Callers and conversation owners").

API Gateway (REST, Lambda proxy) fills ``requestContext`` as follows (field names: API Gateway
``$context`` reference, ``$context.identity.*`` and ``$context.authorizer.claims.*``):

* Cognito user-pool authorizer: ``authorizer.claims`` holds the verified token's claims; the IAM
  fields of ``identity`` are null. Owner: ``cognito:<sub>`` (``sub`` is unique and never reassigned
  within a user pool).
* IAM auth with Cognito identity-pool credentials: ``identity.cognitoIdentityId`` is set, and the
  role session is always named ``CognitoIdentityCredentials``, so ``userArn`` is the same for every
  user of the pool's role. Owner: ``cognito-identity:<identity id>`` (one per user and pool).
* IAM auth with any other assumed role: ``userArn`` is ``arn:aws:sts::<account>:assumed-role/<role>/<session>``;
  the session name is chosen by whoever calls ``sts:AssumeRole``. Owner: that ARN, i.e. role +
  session name. It is one person only where the session name is unique by policy (IAM Identity
  Center sets it to the user name; a trust policy can require ``sts:RoleSessionName`` =
  ``${aws:username}``); callers who share a role and pick the same name share conversations, which
  the README states. The identity-pool session name without an identity id is refused (403): it
  would merge every identity-pool user into one owner.
* IAM user (or root, or a federated user): ``userArn`` (the principal's ARN) is the owner.

Unverified: that API Gateway leaves ``cognitoIdentityId`` null for non-Cognito credentials (assumed
from its documentation: "available only if the request was signed with Amazon Cognito credentials").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import Forbidden

#: The role session name Cognito identity pools give every session (basic and enhanced flows).
IDENTITY_POOL_SESSION = "CognitoIdentityCredentials"


def owner_of(request_context: Mapping[str, Any]) -> str | None:
    """The owner of the caller's conversations, or None when the request is not authenticated.
    Raises :class:`Forbidden` for a principal that cannot be told apart from others."""
    claims = (request_context.get("authorizer") or {}).get("claims") or {}
    if isinstance(claims, Mapping) and claims.get("sub"):
        return f"cognito:{claims['sub']}"
    identity = request_context.get("identity") or {}
    identity_id = identity.get("cognitoIdentityId")
    if identity_id:
        return f"cognito-identity:{identity_id}"
    user_arn = identity.get("userArn")
    if not user_arn:
        return None
    if ":assumed-role/" in user_arn and user_arn.rsplit("/", 1)[-1] == IDENTITY_POOL_SESSION:
        raise Forbidden(
            "identity-pool credentials without a cognitoIdentityId cannot be told apart from other users of the role"
        )
    return str(user_arn)
