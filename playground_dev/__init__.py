"""``make playground``: the playground app and the orchestrator's real handler on 127.0.0.1, AWS answered by fakes.

* :mod:`playground_dev.events` turns an HTTP request into the API Gateway REST proxy event the deployed API
  would hand the Lambda (stub Cognito sign-in: claims ``sub`` ``local-user``);
* :mod:`playground_dev.local_aws` is the local AWS: the project's FakeAws (``localaws.fakes``, shared with the
  tests) answering Bedrock, Comprehend, the guardrail and Retrieve with canned but meaningful answers, and
  moto answering DynamoDB;
* :mod:`playground_dev.server` serves ``playground/dist/``, ``/config.json`` and ``/v1/*`` (the buffered routes
  through ``handler.handler``, the streamed ones through the streaming function's HTTP app).

Run it with ``make playground`` or ``python -m playground_dev --port 0``. Development and tests only: nothing
here is deployed.
"""

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # the orchestrator's packages (handler, orchestrator, safety) on sys.path
