"""The evaluation pipeline of one environment: a Step Functions state machine that runs a dataset against the
orchestrator function for every candidate model, scores it, optionally has a Bedrock judge grade it, and writes
the report (JSON + Markdown) to a KMS-encrypted bucket, applying the release gate."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from cdk.components.encrypted_log_group import EncryptedLogGroup, LogsEncryptionKey
from cdk.components.evaluation_pipeline.judge_steps import judge_map, judge_model_arn
from cdk.components.evaluation_pipeline.nag_findings import WildcardAcknowledgement
from cdk.components.evaluation_pipeline.props import EvaluationPipelineProps
from cdk.components.python_function import PythonFunction
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket
from cdk.policy import acknowledge
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from evaluation_metrics.gate import GateSettings  # noqa: E402
from evaluation_metrics.metric_sets import METRIC_SETS  # noqa: E402
from evaluation_metrics.worker_contract import METRIC_DIMENSIONS, WorkerSettings  # noqa: E402

RESULT_WRITER_V2_FLAG = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"
# Errors of a Lambda invoke worth retrying: throttling (the orchestrator's reserved concurrency) and transient
# service errors (Step Functions' Lambda integration error names).
RETRIED_LAMBDA_ERRORS = ("Lambda.TooManyRequestsException", "Lambda.ServiceException", "Lambda.AWSLambdaException",
                         "Lambda.SdkClientException")


class EvaluationPipeline(Construct):
    """Execution input: ``{"dataset_key": "datasets/answer.jsonl", "models": [...]?, "use_cases": [...]?}`` (a dataset
    uploaded to ``bucket``; models default to ``props.models``). States: Prepare (worker) -> InvokeOrchestrator
    (Distributed Map over the work list, ``props.max_concurrency`` in flight, API Gateway proxy events, throttling
    retried with backoff, every item's outcome kept) -> Score (worker: report, CloudWatch metrics, judge datasets)
    -> Judge (when configured) -> Finalize (worker: release gate) -> GatePassed? The execution fails when the gate
    fails (``EvaluationGateFailed``, the cause names the report) or a step fails (``EvaluationFailed``).

    Exposes ``bucket``, ``key``, ``worker``, ``state_machine``, ``metrics_namespace`` and :meth:`metric`.

    Example::

        from aws_cdk import App, ArnFormat, RemovalPolicy, Stack
        from aws_cdk import aws_lambda as lambda_
        from aws_cdk import aws_logs as logs

        from cdk.components.evaluation_pipeline import EvaluationPipeline, EvaluationPipelineProps

        app = App()
        stack = Stack(app, "Example")
        orchestrator = lambda_.Function.from_function_attributes(
            stack, "Orchestrator", same_environment=True,
            function_arn=stack.format_arn(service="lambda", resource="function", resource_name="genai-dev-orchestrator",
                                          arn_format=ArnFormat.COLON_RESOURCE_NAME))
        EvaluationPipeline(stack, "Evaluation", orchestrator=orchestrator, environment_name="dev",
                           props=EvaluationPipelineProps(models=("eu.amazon.nova-lite-v1:0",), gate_json="{}"),
                           log_retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: EvaluationPipelineProps,
                 orchestrator: lambda_.IFunction, environment_name: str, log_retention: logs.RetentionDays,
                 removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        # The Distributed Map's results must reach S3 (the Score step reads them): ResultWriterV2 renders only under
        # this flag, which cdk.json sets app-wide; set here too so the construct does not depend on the app's flags.
        self.node.set_context(RESULT_WRITER_V2_FLAG, True)
        self.props = props
        self.metrics_namespace = props.metrics_namespace
        self.environment_name = environment_name
        self.key = kms.Key(self, "Key", enable_key_rotation=True, removal_policy=removal_policy,
                           description=f"Encrypts the evaluation reports and responses of {environment_name}")
        access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=removal_policy).bucket
        self.bucket = SecureBucket(
            self, "Reports", encryption_key=self.key, access_logs_bucket=access_logs, removal_policy=removal_policy,
            replication_reason="Evaluation reports are derived data: a run can be repeated from the datasets in the "
                               "repository; the last accepted report is also kept by the delivery pipeline",
            lifecycle_rules=[s3.LifecycleRule(id="ExpireRuns", prefix="runs/",
                                              expiration=Duration.days(props.report_retention_days)),
                             s3.LifecycleRule(id="ExpireMapResults", prefix="map-results/", expiration=Duration.days(7))],
        ).bucket

        gate = GateSettings.from_json(props.gate_json)
        # One key for the worker's and the state machine's log groups.
        self.logs_key = LogsEncryptionKey(self, "LogsKey", removal_policy=removal_policy,
                                          description=f"Encrypts the evaluation log groups of {environment_name}").key
        self.worker = PythonFunction(
            self, "Worker", asset="evaluation_worker", handler="evaluation_worker.handler",
            description=f"Evaluation worker of {environment_name}: prepares work lists, scores runs, applies the gate",
            service_name="evaluation", metrics_namespace=props.metrics_namespace, memory_size=1024,
            timeout=Duration.minutes(5), reserved_concurrency=None, log_retention=log_retention,
            removal_policy=removal_policy, log_encryption_key=self.logs_key,
            environment=WorkerSettings(bucket=self.bucket.bucket_name, environment=environment_name,
                                       metrics_namespace=props.metrics_namespace, gate=gate).to_env(),
        )
        self._grant_bucket(self.worker.role, read=("*",), write=("runs/*", "accepted/*"))
        self.worker.role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadMapResults", actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("map-results/*")]))

        self.evaluation_role = self._judge_role() if props.judge else None
        self.state_machine = self._state_machine(orchestrator, log_retention, removal_policy)
        self._acknowledge()

    # ---------------------------------------------------------------------------------------------- grants
    def _grant_bucket(self, grantee: iam.IGrantable, *, read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> None:
        """Object-level S3 and the key's data actions only (Bucket.grantReadWrite would add wildcard actions)."""
        statements = [iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])]
        if read:
            statements.append(iam.PolicyStatement(actions=["s3:GetObject"],
                                                  resources=[self.bucket.arn_for_objects(p) for p in read]))
        if write:
            statements.append(iam.PolicyStatement(actions=["s3:PutObject"],
                                                  resources=[self.bucket.arn_for_objects(p) for p in write]))
        statements.append(iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                                              resources=[self.key.key_arn]))
        for statement in statements:
            grantee.grant_principal.add_to_principal_policy(statement)

    def _judge_role(self) -> iam.Role:
        """The role Bedrock assumes for the judge jobs: this bucket's judge datasets and outputs, the key, the judge
        model; only for this account's evaluation jobs (confused deputy: aws:SourceAccount, aws:SourceArn)."""
        stack = Stack.of(self)
        judge = self.props.judge
        assert judge is not None
        role = iam.Role(self, "JudgeRole", description=f"Bedrock judge jobs of {self.environment_name}'s evaluation",
                        assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions={
                            "StringEquals": {"aws:SourceAccount": stack.account},
                            "ArnLike": {"aws:SourceArn": stack.format_arn(service="bedrock", resource="evaluation-job",
                                                                          resource_name="*")},
                        }))
        models = [judge_model_arn(self, judge)]
        if judge.inference_profile:  # a cross-Region profile routes to the foundation model in its destination Regions
            models += [stack.format_arn(service="bedrock", region=region, account="", resource="foundation-model",
                                        resource_name=judge.foundation_model_id) for region in judge.destination_regions]
        # A customer-managed policy (reviewable on its own; NIST 800-53 IAMNoInlinePolicy).
        self.judge_policy = iam.ManagedPolicy(self, "JudgePolicy", roles=[role],
                          description="Bedrock judge jobs: their data, key and model",
                          statements=[
                              iam.PolicyStatement(actions=["s3:GetObject"],
                                                  resources=[self.bucket.arn_for_objects("runs/*/judge/*")]),
                              iam.PolicyStatement(actions=["s3:PutObject"],
                                                  resources=[self.bucket.arn_for_objects("runs/*/judge-output/*")]),
                              iam.PolicyStatement(actions=["s3:ListBucket", "s3:GetBucketLocation"],
                                                  resources=[self.bucket.bucket_arn]),
                              iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                                                  resources=[self.key.key_arn]),
                              iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=models),
                          ])
        return role

    # ---------------------------------------------------------------------------------------------- the machine
    def _worker_step(self, name: str, payload: dict, result_path: str) -> tasks.LambdaInvoke:
        step = tasks.LambdaInvoke(self, name, lambda_function=self.worker.function, payload_response_only=True,
                                  payload=sfn.TaskInput.from_object(payload), result_path=result_path,
                                  retry_on_service_exceptions=False)
        step.add_retry(errors=list(RETRIED_LAMBDA_ERRORS), interval=Duration.seconds(2), max_attempts=3, backoff_rate=2)
        return step

    def _state_machine(self, orchestrator: lambda_.IFunction, log_retention: logs.RetentionDays,
                       removal_policy: RemovalPolicy) -> sfn.StateMachine:
        props = self.props
        failed = sfn.Fail(self, "EvaluationFailed", error="EvaluationFailed",
                          cause="A step of the evaluation failed; see the execution history")
        prepare = self._worker_step("Prepare", {"step": "prepare", "run_id": sfn.JsonPath.execution_name,
                                                "input": sfn.JsonPath.entire_payload,
                                                "default_models": list(props.models)}, "$.prepared")
        invoke = tasks.LambdaInvoke(
            self, "InvokeOrchestrator", lambda_function=orchestrator, retry_on_service_exceptions=False,
            payload=sfn.TaskInput.from_json_path_at("$.event"),
            result_selector={"statusCode.$": "$.Payload.statusCode", "body.$": "$.Payload.body"},
        )
        invoke.add_retry(errors=list(RETRIED_LAMBDA_ERRORS), interval=Duration.seconds(2), max_attempts=6,
                         backoff_rate=2, jitter_strategy=sfn.JitterType.FULL)
        items = sfn.DistributedMap(
            self, "InvokeEachItem",
            item_reader=sfn.S3JsonLItemReader(bucket=self.bucket, key=sfn.JsonPath.string_at("$.prepared.work_key")),
            max_concurrency=props.max_concurrency,
            # An item whose invocation fails after the retries is scored as a failed request, not a failed run.
            tolerated_failure_percentage=100,
            result_writer_v2=sfn.ResultWriterV2(bucket=self.bucket, prefix="map-results"),
            result_path="$.map_result",
            # Child workflows are one Lambda call each (under the orchestrator's 29 s): Express is enough and cheaper.
            map_execution_type=sfn.StateMachineType.EXPRESS,
        )
        items.item_processor(invoke)
        score = self._worker_step("Score", {"step": "score", "run_id": sfn.JsonPath.execution_name,
                                            "dataset_key": sfn.JsonPath.string_at("$.prepared.dataset_key"),
                                            "map_result": sfn.JsonPath.object_at("$.map_result"),
                                            "judge": props.judge is not None}, "$.scored")
        if props.judge is not None and self.evaluation_role is not None:
            judge = judge_map(self, judge=props.judge, evaluation_role=self.evaluation_role, key=self.key)
        else:
            judge = sfn.Pass(self, "NoJudge", result=sfn.Result.from_array([]), result_path="$.judge_jobs")
        finalize = self._worker_step("Finalize", {"step": "finalize",
                                                  "report_key": sfn.JsonPath.string_at("$.scored.report_key"),
                                                  "judge_jobs": sfn.JsonPath.list_at("$.judge_jobs")}, "$.verdict")
        gate = sfn.Choice(self, "GatePassed")
        gate.when(sfn.Condition.boolean_equals("$.verdict.passed", True), sfn.Succeed(self, "Accepted"))
        gate.otherwise(sfn.Fail(self, "GateFailed", error="EvaluationGateFailed",
                                cause_path=sfn.JsonPath.format("Release gate failed; report {}",
                                                               sfn.JsonPath.string_at("$.verdict.report"))))
        for step in (prepare, items, score, judge, finalize):
            if hasattr(step, "add_catch"):
                step.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        definition = prepare.next(items).next(score).next(judge).next(finalize).next(gate)
        log_group = EncryptedLogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy,
                                      encryption_key=self.logs_key).log_group
        machine = sfn.StateMachine(
            self, "StateMachine", definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(12), tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._grant_bucket(machine, read=("runs/*",), write=("map-results/*",))
        # The machine waits for its role's policy; the role it references already (GetAtt: cfn-lint W3005). The
        # Distributed Map policy names the machine's ARN, so it comes after the machine.
        policies = [Stack.of(self).get_logical_id(p) for p in machine.role.node.find_all() if isinstance(p, iam.CfnPolicy)]
        machine.node.default_child.add_override("DependsOn", sorted(policies))
        return machine

    # ---------------------------------------------------------------------------------------------- metrics
    def metric(self, name: str, *, use_case: str, model: str, statistic: str = "Average") -> cloudwatch.Metric:
        """One evaluation metric (a quality metric name such as ``token_f1``, or ``error_rate``, ``refusal_rate``,
        ``toxicity_flags``, ``pii_leaks``, ``latency_p95_ms``) of a use case x model."""
        dimensions = dict(zip(METRIC_DIMENSIONS, (self.environment_name, use_case, model), strict=True))
        return cloudwatch.Metric(namespace=self.metrics_namespace, metric_name=name, dimensions_map=dimensions,
                                 statistic=statistic, period=Duration.days(1))

    def dashboard_widgets(self) -> list[cloudwatch.IWidget]:
        """One graph per gated use case (every use case when the gate has no thresholds): its quality metrics for
        each default candidate model, daily; and the state machine's outcomes."""
        gated = list(GateSettings.from_json(self.props.gate_json).thresholds) or list(METRIC_SETS)
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title=f"Evaluation: {use_case}", width=8, height=6, left_y_axis=cloudwatch.YAxisProps(min=0, max=1),
                left=[self.metric(name, use_case=use_case, model=model).with_(label=f"{name} {model}")
                      for name in METRIC_SETS[use_case].metrics for model in self.props.models],
            )
            for use_case in gated
        ]
        widgets.append(cloudwatch.GraphWidget(
            title="Evaluation runs", width=8, height=6,
            left=[self.state_machine.metric_succeeded(period=Duration.days(1)),
                  self.state_machine.metric_failed(period=Duration.days(1))]))
        return widgets

    def _acknowledge(self) -> None:
        acknowledge(self.worker.function, "NIST.800.53.R5-LambdaInsideVPC",
                    "the worker reaches only S3 over TLS with SigV4 and no resource inside a VPC")
        for rule in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(self.worker.function, rule, "Step Functions invokes the worker synchronously and retries "
                                                    "it; a failure fails the execution, there is no event to dead-letter")
        reason = ("wildcards only where the resource is named at run time: objects under the run prefixes of this "
                  "evaluation bucket, the Distributed Map's child executions of this state machine, Bedrock "
                  "evaluation jobs of this account, any version of the worker and orchestrator functions (the "
                  "Lambda integration's grant), and X-Ray / CloudWatch Logs delivery, which take only Resource '*'")
        acknowledge(self.worker.function, "NIST.800.53.R5-LambdaConcurrency",
                    "Step Functions invokes the worker three times per execution, in sequence: reserved concurrency "
                    "would only take capacity from the account pool")
        owners = [self.worker.role, self.state_machine, *([self.judge_policy] if self.props.judge else [])]
        for owner in owners:
            for policy in owner.node.find_all():
                if isinstance(policy, iam.CfnPolicy):
                    acknowledge(policy, "NIST.800.53.R5-IAMNoInlinePolicy",
                                "the default and Distributed Map policies Step Functions tasks and grants generate "
                                "are scoped to this pipeline's bucket, key, functions and jobs")
        # The findings name the resolved ARNs (cross-stack references resolve only when the app is prepared).
        self.node.add_validation(WildcardAcknowledgement(owners, reason))
