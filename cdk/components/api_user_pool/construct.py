"""A Cognito user pool whose ID tokens authorize calls to an API Gateway REST API."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct


class ApiUserPool(Construct):
    """An invitation-only user pool (no self sign-up) with required TOTP MFA, a strong password policy and
    threat protection enforced (Plus feature plan), and one public app client using SRP (``sdk_client``; a pool
    whose users only sign in through the hosted UI, see :class:`HostedUiSignIn`, goes without it).

    Example::

        from aws_cdk import App, CfnOutput, RemovalPolicy, Stack

        from cdk.components.api_user_pool import ApiUserPool

        app = App()
        stack = Stack(app, "Example")
        users = ApiUserPool(stack, "Users", removal_policy=RemovalPolicy.RETAIN)
        CfnOutput(stack, "UserPoolId", value=users.user_pool.user_pool_id)
    """

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy,
                 sdk_client: bool = True) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=14, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True, temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        self.client: cognito.UserPoolClient | None = None
        if not sdk_client:
            return
        self.client = self.user_pool.add_client(
            "Client",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
