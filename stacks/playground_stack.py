"""The playground (issue 16): the single-page app in ``playground/dist`` on CloudFront, the environment's API on the
same origin under ``/v1/*``, and browser sign-in on the environment's Cognito user pool (config ``playground``).

How the page authenticates follows the API's ``api.authorization``:

- ``cognito`` (dev): the API's own user pool gets a hosted-UI domain and a PKCE app client; the page sends the ID
  token as ``Authorization`` (the API's user-pool authorizer accepts tokens of every client of its pool).
- ``iam`` (staging, prod): this stack creates a user pool for the playground (same component, retained like the
  API's), its hosted UI and PKCE client, and a Cognito identity pool whose one role may ``execute-api:Invoke``
  exactly the API's routes. The page trades the ID token for temporary credentials (enhanced flow) and SigV4-signs
  each request for the API's own host and stage path (``/config.json`` ``auth.api_signing``): CloudFront forwards the
  request with Host = the execute-api domain (every viewer header but Host) and ``/v1/x`` -> ``/<stage>/v1/x`` (origin
  path), which are the values API Gateway recomputes the signature from. The owner of such a caller's
  conversations is ``cognito-identity:<identity id>`` (lambdas/orchestrator/orchestrator/owner.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from aws_cdk import Aws, CfnOutput, Fn, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.api_user_pool import ApiIdentityPool, ApiUserPool, HostedUiProps, HostedUiSignIn
from cdk.components.encrypted_log_group import LogsEncryptionKey, retention_days
from cdk.components.playground_site import (
    ApiOrigin,
    ApiSigning,
    IdentityExchange,
    PlaygroundSite,
    SignIn,
    runtime_config,
)
from cdk.config import EnvironmentConfig

#: The built app (``make setup`` builds it from ``playground/``).
APP_DIR = Path(__file__).resolve().parents[1] / "playground" / "dist"


class PlaygroundAppNotBuilt(RuntimeError):
    """``playground/dist`` has no built app to deploy."""


class PlaygroundApi(Protocol):
    """What the Api stack exposes: the REST API, its stage, its user pool (Cognito environments) and its grants."""

    api: apigateway.RestApi
    api_stage_name: str
    user_pool: cognito.IUserPool | None

    def grant_invoke(self, grantee: iam.IGrantable) -> Any: ...


class PlaygroundStack(Stack):
    """Exposes ``site``, ``sign_in``, ``client``, ``identity_pool`` (IAM environments; else None) and the
    ``PlaygroundUrl`` output."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, api: PlaygroundApi,
                 app_dir: Path = APP_DIR, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if not (app_dir / "index.html").is_file():
            raise PlaygroundAppNotBuilt(f"{app_dir} has no index.html: build the playground first (`make setup`), "
                                        f"or set environments.{config.name}.playground.enabled to false")
        playground = config.playground
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        iam_mode = config.api.authorization == "iam"

        if iam_mode:
            # The API takes IAM callers only: the playground's users live in a pool of their own.
            users = ApiUserPool(self, "Users", removal_policy=removal, sdk_client=False)
            user_pool: cognito.IUserPool = users.user_pool
        else:
            user_pool = api.user_pool
        domain_prefix = playground.domain_prefix or Fn.join("-", [config.project, config.name, "playground",
                                                                  Aws.ACCOUNT_ID])
        self.sign_in = HostedUiSignIn(
            self, "SignIn", user_pool=user_pool,
            props=HostedUiProps(domain_prefix=domain_prefix, token_validity_minutes=playground.token_validity_minutes,
                                session_hours=playground.session_hours),
        )
        # The page fetches tokens from the hosted UI's /oauth2/token (and revokes them at /oauth2/revoke) and, in IAM
        # mode, credentials from Cognito Identity. It leaves for the hosted UI's /oauth2/authorize and /logout by
        # navigation and posts no form there, so form-action stays 'self' (it governs form submissions only).
        identity_endpoint = f"https://cognito-identity.{self.region}.{self.url_suffix}"
        connect = [self.sign_in.base_url, *([identity_endpoint] if iam_mode else [])]
        api_origin = ApiOrigin(domain_name=f"{api.api.rest_api_id}.execute-api.{self.region}.{self.url_suffix}",
                               stage_name=api.api_stage_name)
        logs_key = LogsEncryptionKey(self, "LogsKey", description=f"Encrypts the log groups of {self.stack_name}",
                                     removal_policy=removal).key
        self.site = PlaygroundSite(
            self, "Site", props=playground.site, api=api_origin,
            log_retention=retention_days(config.log_retention_days), removal_policy=removal,
            connect_origins=connect, log_encryption_key=logs_key,
        )
        redirect_uri = f"{self.site.url}/"
        self.client = self.sign_in.add_browser_client("PlaygroundClient", redirect_uri=redirect_uri)

        self.identity_pool: ApiIdentityPool | None = None
        signing = identity = None
        if iam_mode:
            self.identity_pool = ApiIdentityPool(self, "Identities", user_pool=user_pool, client=self.client)
            api.grant_invoke(self.identity_pool.authenticated_role)
            signing = ApiSigning(host=api_origin.domain_name, path_prefix=api_origin.origin_path)
            identity = IdentityExchange(pool_id=self.identity_pool.identity_pool_id, endpoint=identity_endpoint,
                                        provider=user_pool.user_pool_provider_name)
        sign_in = SignIn(
            mode=config.api.authorization, region=self.region, user_pool_id=user_pool.user_pool_id,
            user_pool_client_id=self.client.user_pool_client_id, hosted_ui_domain=self.sign_in.domain_name,
            redirect_uri=redirect_uri, identity=identity, api_signing=signing,
        )
        self.site.deploy_app(str(app_dir), runtime_config=runtime_config(environment=config.name, sign_in=sign_in))

        CfnOutput(self, "PlaygroundUrl", value=redirect_uri, description="Open this in a browser to use the playground")
        CfnOutput(self, "PlaygroundUserPoolId", value=user_pool.user_pool_id,
                  description="Create playground users here (aws cognito-idp admin-create-user)")
