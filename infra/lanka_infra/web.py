"""The staff app and the widgets on one origin with the APIs: a CloudFront distribution.

The web bucket (private) holds `index.html`, `app/` and `widgets/`, copied from
`src/lanka_local/static` on every deployment. The distribution reads it through an origin
access control, so the bucket stays closed to the world. `/api/<service>/*` goes to that
service's REST API: a CloudFront Function drops the service's name from the path
(`/api/deals/deals/1` -> `/api/deals/1`, `api` being the API's stage), as the local gateway
does. The app and the APIs share one origin, so the browser sends no CORS preflight and the
staff token never leaves it. Answers of the APIs are never cached.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from lanka_infra.config import REPO_ROOT

STATIC_DIR = REPO_ROOT / "src" / "lanka_local" / "static"
# What the web bucket's root gets is the app's page and modules: the widgets are deployed
# under widgets/ on their own, the demo page is the local stack's only.
NOT_APP_FILES = ("widgets", "widgets/*", "demo", "demo/*")

# `/api/<service>/<rest>` -> `/api/<rest>`: the REST API's stage is `api`, the service is
# chosen by the behaviour.
REWRITE = """function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace(/^\\/api\\/[a-z-]+(\\/|$)/, "/api/");
  return request;
}
"""


class WebDistribution(Construct):
    """The app's files in the web bucket and the distribution in front of them and the APIs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, apis: dict[str, str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "App",
            sources=[s3_deployment.Source.asset(str(STATIC_DIR), exclude=list(NOT_APP_FILES))],
            destination_bucket=bucket,
            # The sync's exclude also keeps the widgets' objects from being pruned.
            exclude=list(NOT_APP_FILES),
            # The app's modules change with every deployment: the browser asks again.
            cache_control=[s3_deployment.CacheControl.from_string("no-cache")],
        )
        rewrite = cloudfront.Function(
            self,
            "ApiPath",
            code=cloudfront.FunctionCode.from_inline(REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Drops the service's name from /api/<service>/ for its REST API",
        )
        api_behaviours = {
            f"/api/{name}/*": cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    # The endpoint URL is https://<id>.execute-api.<region>.<suffix>/api/.
                    Fn.select(2, Fn.split("/", url)),
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            )
            for name, url in sorted(apis.items())
        }
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Lanka: the staff app, the widgets and the APIs on one origin",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                compress=True,
            ),
            additional_behaviors=api_behaviours,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        CfnOutput(scope, "WebUrl", value=f"https://{self.distribution.distribution_domain_name}/")
