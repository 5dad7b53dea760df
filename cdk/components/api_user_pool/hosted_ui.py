"""Browser sign-in on a user pool: the hosted UI's prefix domain and public PKCE app clients."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk.components.api_user_pool.props import BROWSER_SCOPES, HostedUiProps


class HostedUiSignIn(Construct):
    """The hosted UI (classic) of ``user_pool`` at ``<domain_prefix>.auth.<region>.amazoncognito.com``, and
    :meth:`add_browser_client`: a public app client (no secret) for a single-page app that signs in with the
    authorization code grant and PKCE only (no implicit grant, no password or SRP flows), scopes openid, email,
    profile, short-lived tokens, callback and sign-out URL the app's own URL.

    PKCE is the page's part: Cognito supports it (Amazon Cognito Developer Guide, "Using PKCE in authorization code
    grants": tokens only for the verifier matching the authorize request's ``code_challenge``, method S256), but an app
    client has no setting that makes it mandatory, so the page always sends a challenge. The single exact callback URL
    keeps codes on the app's own origin.

    Example::

        from aws_cdk import App, CfnOutput, RemovalPolicy, Stack

        from cdk.components.api_user_pool import ApiUserPool, HostedUiProps, HostedUiSignIn

        app = App()
        stack = Stack(app, "Example")
        users = ApiUserPool(stack, "Users", removal_policy=RemovalPolicy.DESTROY, sdk_client=False)
        sign_in = HostedUiSignIn(stack, "SignIn", user_pool=users.user_pool,
                                 props=HostedUiProps(domain_prefix="example-playground"))
        client = sign_in.add_browser_client("Playground", redirect_uri="https://d111111abcdef8.cloudfront.net/")
        CfnOutput(stack, "SignInDomain", value=sign_in.domain_name)
    """

    def __init__(self, scope: Construct, construct_id: str, *, user_pool: cognito.IUserPool,
                 props: HostedUiProps) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = user_pool
        self.props = props
        self.domain = cognito.UserPoolDomain(
            self, "Domain", user_pool=user_pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=props.domain_prefix),
            managed_login_version=cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
        )
        #: ``https://<prefix>.auth.<region>.amazoncognito.com``: the authorize, token and logout endpoints' origin.
        self.base_url = self.domain.base_url()
        #: The same without the scheme, as the app's config.json names it.
        self.domain_name = self.base_url.removeprefix("https://")

    def add_browser_client(self, construct_id: str, *, redirect_uri: str) -> cognito.UserPoolClient:
        """A public PKCE client whose only callback and sign-out URL is ``redirect_uri``."""
        props = self.props
        return cognito.UserPoolClient(
            self, construct_id,
            user_pool=self.user_pool,
            generate_secret=False,
            # No API sign-in flows: users sign in on the hosted UI only (refresh tokens still renew sessions).
            auth_flows=cognito.AuthFlow(user_srp=False, user_password=False, admin_user_password=False, custom=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False,
                                         client_credentials=False),
                scopes=[cognito.OAuthScope.custom(scope) for scope in BROWSER_SCOPES],
                callback_urls=[redirect_uri],
                logout_urls=[redirect_uri],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            id_token_validity=Duration.minutes(props.token_validity_minutes),
            access_token_validity=Duration.minutes(props.token_validity_minutes),
            refresh_token_validity=Duration.hours(props.session_hours),
            enable_token_revocation=True,
        )
