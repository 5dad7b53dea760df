"""Check an endpoint's Neuron shape before deploying, and stage weights compiled for it (a one-off per account/region).

    .venv/bin/python -m cdk.planning.neuron_staging --env staging

prints, for the environment's endpoint: the compiled shape it serves (batch size, sequence length, cores, dtype),
how to look that shape up in the public Neuron compile cache, the offline compile that produces it (the same
``optimum-cli export neuron`` the training pipeline's export step runs, in the endpoint's own serving image) and the
upload to the S3 location the endpoint reads. Nothing here calls AWS; the printed commands do, with your credentials.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from cdk.components.neuron_dlc import dlc_registry_account
from cdk.config import ConfigError, EnvironmentConfig, load_app_config

ROOT = Path(__file__).resolve().parents[2]


def staging_plan(env: EnvironmentConfig, *, model_id: str, revision: str = "<commit>") -> list[str]:
    """The lines to print for ``env``: ``model_id`` is the Hub model the staged weights are compiled from."""
    endpoint = env.sagemaker.endpoint
    serving = endpoint.serving
    image = (f"{dlc_registry_account(env.region)}.dkr.ecr.{env.region}.amazonaws.com/"
             f"{endpoint.image_repository}:{endpoint.image_tag}")
    lines = [
        f"# {env.name}: {endpoint.instance_type}, shape {serving.shape_label} (batch {serving.batch_size}, "
        f"{serving.max_total_tokens} total tokens of which {serving.max_input_tokens} input, {serving.num_cores} "
        f"NeuronCores, {serving.auto_cast_type})",
        "# 1. Is this shape in the public compile cache for the image's compiler? (optimum-neuron, any machine)",
        f"optimum-cli neuron cache lookup {shlex.quote(model_id)}",
        "# 2. Download the pinned commit, then compile it in the serving image on a Trainium/Inferentia2 instance",
        "#    (the same optimum-cli export neuron the training pipeline's export step runs):",
        f"huggingface-cli download {shlex.quote(model_id)} --revision {shlex.quote(revision)} --local-dir ./weights",
        f"docker run --rm --privileged -v $PWD/weights:/weights -v $PWD/compiled:/compiled --entrypoint optimum-cli "
        f"{image} export neuron --model /weights --task text-generation {' '.join(serving.export_arguments())} "
        "/compiled",
    ]
    if endpoint.model_data_url:
        target = endpoint.model_data_url.format(account="<account>", region=env.region)
        bucket = target.removeprefix("s3://").split("/", 1)[0]
        lines += [
            "# 3. Stage the compiled model where the endpoint reads it (once per account and region):",
            f"aws s3 mb s3://{bucket} --region {env.region}  # then enable default encryption and block public access",
            f"aws s3 sync ./compiled {target}",
        ]
    elif endpoint.model_artifacts_key:
        lines.append("# 3. The endpoint reads the pipeline's export output (model_artifacts_key): nothing to stage.")
    else:
        lines.append("# 3. The endpoint downloads from the Hub at start (allow_hub_download): nothing to stage.")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="environment name in cdk.json")
    parser.add_argument("--model-id", default="HuggingFaceH4/zephyr-7b-beta",
                        help="the Hub model the staged weights are compiled from")
    parser.add_argument("--revision", default="<commit>", help="the Hub commit to compile (pin it)")
    args = parser.parse_args(argv)
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    try:
        env = load_app_config(context).environment(args.env)
    except (ConfigError, KeyError) as error:
        print(f"neuron-staging: {error}", file=sys.stderr)
        return 2
    if not env.sagemaker.endpoint.enabled:
        print(f"neuron-staging: {args.env} has no endpoint (sagemaker.endpoint.enabled is false)", file=sys.stderr)
        return 2
    print("\n".join(staging_plan(env, model_id=args.model_id, revision=args.revision)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
