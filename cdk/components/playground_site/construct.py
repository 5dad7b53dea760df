"""The playground's web site: a private bucket behind CloudFront, the API proxied on the same origin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.playground_site.props import (
    API_PATH_PREFIX,
    RUNTIME_CONFIG_PATH,
    ApiOrigin,
    SiteProps,
    content_security_policy,
)
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket
from cdk.components.secure_bucket.deployment import acknowledge_bucket_deployment
from cdk.policy import acknowledge

# Viewer-request function of the site's files: a path without a file extension is a page of the single-page app
# (its client-side routes), served as /index.html. Not a distribution-wide custom error response, which would also
# turn the API's own 403/404 answers under /v1/* into the app's page.
SPA_FALLBACK_CODE = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
HSTS_MAX_AGE = Duration.days(730)
#: Viewer headers the API never gets (see the class docstring).
API_EXCLUDED_HEADERS = ("Host", "Accept-Encoding")
_PRICE_CLASSES = {"PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
                  "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
                  "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL}


class PlaygroundSite(Construct):
    """A single-page app on CloudFront: its files in a private S3 bucket (SSE-S3, SSL only, public access blocked)
    read through origin access control, ``/v1/*`` proxied uncached to ``api`` (a REST API's execute-api domain;
    origin path = its stage, so ``/v1/x`` reaches ``/<stage>/v1/x``),
    HTTPS only (HTTP redirects), a strict response-headers policy on everything (Content-Security-Policy, HSTS,
    nosniff, no referrer, no framing), standard access logs, and a web ACL where one is given.

    ``connect_origins`` / ``form_origins``: what the page may fetch / post forms to besides its own origin (the
    sign-in's hosted UI). :meth:`deploy_app` uploads the built app and its ``/config.json``.

    The API behavior forwards every viewer header but Host and Accept-Encoding, every query string and no cookie
    (the API reads none), for every method, with caching off (managed ``CachingDisabled``). Host: like the managed
    ``AllViewerExceptHostHeader``, which CloudFront documents for API Gateway origins (they expect their own domain
    as Host). Accept-Encoding: a browser always sends it, and with both compression flags of the cache policy off
    CloudFront would forward it (botocore cloudfront model, ``ParametersInCacheKeyAndForwardedToOrigin``), asking the
    API (``minimumCompressionSize`` 1 KiB) to gzip; whether API Gateway buffers a STREAM method's answer to compress
    it is not documented, so the API never gets the chance and a streamed ``text/event-stream`` answer passes as
    sent. ``api_read_timeout_seconds`` bounds the wait for the first byte and between two chunks; no response
    completion timeout is set (CloudFront then enforces none, botocore cloudfront model
    Origin.ResponseCompletionTimeout), so a stream may last as long as the API allows.

    Example::

        import tempfile
        from pathlib import Path

        from aws_cdk import App, CfnOutput, RemovalPolicy, Stack
        from aws_cdk import aws_logs as logs

        from cdk.components.playground_site import ApiOrigin, PlaygroundSite, SiteProps

        app = App()
        stack = Stack(app, "Example")
        api = ApiOrigin(domain_name=f"a1b2c3d4e5.execute-api.{stack.region}.{stack.url_suffix}", stage_name="api")
        site = PlaygroundSite(stack, "Site", props=SiteProps(), api=api, log_retention=logs.RetentionDays.ONE_MONTH,
                              removal_policy=RemovalPolicy.DESTROY,
                              connect_origins=["https://example.auth.eu-west-1.amazoncognito.com"],
                              form_origins=["https://example.auth.eu-west-1.amazoncognito.com"])
        app_dir = Path(tempfile.mkdtemp())  # stands for the built app (playground/dist)
        (app_dir / "index.html").write_text("<!doctype html><title>app</title>")
        site.deploy_app(str(app_dir), runtime_config={"environment": "example", "local": False})
        CfnOutput(stack, "PlaygroundUrl", value=site.url)
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: SiteProps, api: ApiOrigin,
                 log_retention: logs.RetentionDays, removal_policy: RemovalPolicy,
                 connect_origins: Sequence[str] = (), form_origins: Sequence[str] = (),
                 log_encryption_key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy
        self._log_retention = log_retention
        self._log_encryption_key = log_encryption_key
        self.access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=removal_policy,
                                            expiration_days=props.access_log_expiration_days,
                                            cloudfront_logs=True).bucket
        self.bucket = SecureBucket(
            self, "Files", encryption_key=None, access_logs_bucket=self.access_logs, removal_policy=removal_policy,
            access_logs_prefix="s3/",
            no_kms_reason="the bucket holds the built single-page app that CloudFront serves to anyone; SSE-KMS would "
                          "need a key policy for every distribution and a KMS call per origin fetch, protecting nothing",
            replication_reason="the app's files are a build output, deployed again from the repository on demand",
            lifecycle_rules=[s3.LifecycleRule(id="ExpireReplacedFiles", noncurrent_version_expiration=Duration.days(30),
                                              abort_incomplete_multipart_upload_after=Duration.days(1))],
        ).bucket

        self.csp = content_security_policy(connect_origins=connect_origins, form_origins=form_origins)
        self.headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            comment="Playground: strict CSP, HSTS, nosniff, no referrer, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=self.csp, override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
            ),
        )
        spa_fallback = cloudfront.Function(
            self, "SpaFallback", runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Serves /index.html for the app's client-side routes (paths without a file extension)",
            code=cloudfront.FunctionCode.from_inline(SPA_FALLBACK_CODE),
        )
        api_requests = cloudfront.OriginRequestPolicy(
            self, "ApiRequests",
            comment="Playground /v1/*: every viewer header but Host and Accept-Encoding, every query string, no cookie",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.deny_list(*API_EXCLUDED_HEADERS),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
        )
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="Playground single-page app and its API",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[cloudfront.FunctionAssociation(
                    function=spa_fallback, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)],
            ),
            additional_behaviors={f"{API_PATH_PREFIX}/*": cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(api.domain_name, origin_path=api.origin_path,
                                          protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                                          origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                                          read_timeout=Duration.seconds(props.api_read_timeout_seconds)),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=api_requests,
                response_headers_policy=self.headers,
                compress=False,
            )},
            price_class=_PRICE_CLASSES[props.price_class],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.access_logs,
            log_file_prefix="cloudfront/",
            web_acl_id=props.web_acl_arn,
        )
        #: ``https://<id>.cloudfront.net``: the playground's address (and its sign-in redirect URI, with a slash).
        self.url = f"https://{self.distribution.distribution_domain_name}"
        self._acknowledge_findings(props)

    def deploy_app(self, app_dir: str, *, runtime_config: Mapping[str, Any]) -> s3_deployment.BucketDeployment:
        """Upload the built app in ``app_dir`` and ``/config.json`` (``runtime_config``; tokens resolve at deploy
        time) with ``Cache-Control: no-cache``, remove what the build no longer has, and invalidate CloudFront's
        copies."""
        deployment = s3_deployment.BucketDeployment(
            self, "App",
            # Dotfiles (the build's .built stamp) are build bookkeeping, not the site's.
            sources=[s3_deployment.Source.asset(app_dir, exclude=[".*"]),
                     s3_deployment.Source.json_data(RUNTIME_CONFIG_PATH, dict(runtime_config))],
            destination_bucket=self.bucket,
            # The files keep their names from build to build (/app.js, no content hash): browsers must revalidate
            # them (ETag, 304) on each use, or a deploy could run an old app.js against a new config.json.
            cache_control=[s3_deployment.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
            log_group=EncryptedLogGroup(self, "AppDeploymentLogs", retention=self._log_retention,
                                        removal_policy=self._removal_policy,
                                        encryption_key=self._log_encryption_key).log_group,
        )
        acknowledge_bucket_deployment(
            deployment, destination=self.bucket, purpose="the playground's built files and config.json",
            extra_findings=["Resource::*"],  # cloudfront:CreateInvalidation/GetInvalidation: granted on * by aws-cdk-lib
        )
        return deployment

    def _acknowledge_findings(self, props: SiteProps) -> None:
        distribution = self.distribution
        acknowledge(distribution, "AwsSolutions-CFR1",
                    "the playground serves its team wherever they work; sign-in, not geography, gates the API")
        acknowledge(distribution, "AwsSolutions-CFR4",
                    "no custom domain: the default *.cloudfront.net certificate cannot set a minimum viewer TLS "
                    "version; browsers negotiate TLS 1.2 or 1.3 with it")
        if props.web_acl_arn is None:
            acknowledge(distribution, "AwsSolutions-CFR2",
                        "no CLOUDFRONT-scope web ACL configured (playground.web_acl_arn): a CloudFront web ACL lives in "
                        "us-east-1; the API stage's regional web ACL (where enabled) still inspects every /v1/* request")
