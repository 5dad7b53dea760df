#!/usr/bin/env python3
"""Offline deploy rehearsal: the real ``cdk deploy`` of one environment into a local AWS emulator.

    make rehearse               # ENV=dev
    python scripts/rehearse.py --env dev [--keep-logs]

Steps: synthesize the environment with the rehearsal-only app (``cdk/rehearsal.py``), start moto's server
on 127.0.0.1 (a free port), ``cdk bootstrap`` it, ``cdk deploy`` (assets published to the emulator's S3),
deploy again and require that nothing changes, ``cdk destroy``, stop the emulator, and print which resource
types the emulator created and which it skipped (moto's CloudFormation reports CREATE_COMPLETE for types it
does not implement, so those are listed as skipped, never claimed).

Nothing leaves the machine: where the kernel allows it the whole rehearsal runs in a fresh network
namespace whose only interface is loopback (``unshare -rn``); in every case the endpoint host is checked to
resolve to loopback before the emulator starts, proxies are bypassed for it, and real AWS credentials,
profiles and config files are removed from the environment. The emulator runs in its own process group,
which is killed on exit, on failure, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".rehearsal"
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
# moto's server with fixes for the moto bugs the rehearsal meets (scripts/rehearsal_emulator.py lists them).
EMULATOR_SCRIPT = ROOT / "scripts" / "rehearsal_emulator.py"
# moto's default account; the CLI learns it from the emulator's STS like it would from AWS.
EMULATOR_ACCOUNT = "123456789012"
# Template URLs in path style (http://<endpoint>/<bucket>/<key>) are understood by moto's CloudFormation
# with "localhost" but not with "127.0.0.1" as the endpoint host.
ENDPOINT_HOST = "localhost"
BIND_HOST = "127.0.0.1"
CDK_FLAGS = ("--no-notices", "--ci", "--no-version-reporting")
BOOTSTRAP_QUALIFIER = "hnb659fds"
PHASE_TIMEOUT_SECONDS = {"synth": 600, "bootstrap": 180, "deploy": 300, "redeploy": 240, "destroy": 240}
# Variables that could point the rehearsal at a real account, or route its traffic elsewhere.
SCRUBBED_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_CREDENTIAL_EXPIRATION",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)


class RehearsalError(Exception):
    """The rehearsal found a problem (or could not run safely)."""


# --------------------------------------------------------------------------- safety


def assert_loopback(url: str) -> None:
    """Refuse any endpoint whose host resolves to anything but loopback addresses."""
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        raise RehearsalError(f"endpoint {url!r} has no host")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as error:
        raise RehearsalError(f"endpoint host {host!r} does not resolve: {error}") from None
    outside = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if not addresses or outside:
        raise RehearsalError(f"endpoint host {host!r} resolves to non-loopback address(es) {outside}: refusing to run")


def rehearsal_environment(base: Mapping[str, str], *, endpoint: str, region: str, home: Path) -> dict[str, str]:
    """The environment every child process gets: emulator endpoint, dummy credentials, no real AWS settings."""
    env = {k: v for k, v in base.items()
           if k not in SCRUBBED_VARIABLES and not k.startswith("AWS_ENDPOINT_URL")}
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    env.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "localhost,127.0.0.1,::1",
        "no_proxy": "localhost,127.0.0.1,::1",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    })
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(CDK_CLI.parent), env.get("PATH", "")])
    return env


def loopback_only_network() -> bool:
    """Whether this process is in a network namespace whose only usable interface is loopback."""
    interfaces = {name for _, name in socket.if_nameindex()}
    return interfaces <= {"lo"}


def bring_up_loopback() -> None:
    """`ip link set lo up`, without needing iproute2 (a fresh network namespace starts with lo down)."""
    import fcntl
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b"\0" * 14))


def reexec_in_isolated_network(argv: Sequence[str]) -> None:
    """Re-run this script in a new user+network namespace (loopback only), if the kernel allows it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return
    os.execv(unshare, [unshare, "-rn", sys.executable, str(Path(__file__).resolve()),  # noqa: S606 - fixed argv
                       *argv, "--in-isolated-network"])


# --------------------------------------------------------------------------- processes


def free_port(host: str = BIND_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def kill_process_group(process: subprocess.Popen, grace_seconds: float = 5.0) -> None:
    """SIGTERM the process's group, then SIGKILL what is left after ``grace_seconds``."""
    if process.poll() is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # stray children of an exited leader
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_seconds)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class Emulator:
    """moto's server on 127.0.0.1 in its own process group; stopped by ``stop``, at exit, or on SIGTERM/SIGINT."""

    def __init__(self, log_path: Path, *, command: Sequence[str] | None = None, ready_timeout: float = 30.0) -> None:
        self.port = free_port()
        self.endpoint = f"http://{ENDPOINT_HOST}:{self.port}"
        self.log_path = log_path
        self.command = list(command or [sys.executable, str(EMULATOR_SCRIPT), "-H", BIND_HOST, "-p", str(self.port)])
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> Emulator:
        assert_loopback(self.endpoint)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        atexit.register(self.stop)
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, cwd=self.log_path.parent)
        log.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RehearsalError(f"the emulator exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError), socket.create_connection((BIND_HOST, self.port), timeout=0.5):
                return self
            time.sleep(0.1)
        raise RehearsalError(f"the emulator did not listen on {BIND_HOST}:{self.port} within {self.ready_timeout:.0f}s")

    def stop(self) -> None:
        if self.process is not None:
            kill_process_group(self.process)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def terminate_on_signals() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so that ``finally`` blocks and atexit handlers run."""
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


@dataclass
class Phase:
    name: str
    seconds: float
    output: str


def run_cli(name: str, args: Sequence[str], env: Mapping[str, str], *, cli: Path, log_dir: Path,
            timeout: float | None = None) -> Phase:
    """Run the CDK CLI in its own process group; on timeout or interruption the whole group is killed."""
    started = time.monotonic()
    log_path = log_dir / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(cli), *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=dict(env), cwd=ROOT, start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout or PHASE_TIMEOUT_SECONDS.get(name, 300))
        except subprocess.TimeoutExpired:
            kill_process_group(process)
            raise RehearsalError(f"{name}: timed out; see {log_path}") from None
        finally:
            kill_process_group(process)
    output = log_path.read_text()
    if returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise RehearsalError(f"{name}: `cdk {' '.join(args[:1])}` exited with {returncode}; see {log_path}\n{tail}")
    return Phase(name, time.monotonic() - started, output)


# --------------------------------------------------------------------------- what was deployed


@dataclass(frozen=True)
class StackTemplate:
    stack_name: str
    template: dict[str, Any]

    def resources(self) -> dict[str, str]:
        return {lid: r["Type"] for lid, r in self.template.get("Resources", {}).items()}

    def overrides(self) -> list[str]:
        from cdk.rehearsal import REHEARSAL_OVERRIDE_METADATA

        return [f"{self.stack_name}/{lid}: {r['Metadata'][REHEARSAL_OVERRIDE_METADATA]}"
                for lid, r in self.template.get("Resources", {}).items()
                if REHEARSAL_OVERRIDE_METADATA in (r.get("Metadata") or {})]


def assembly_stacks(assembly_dir: Path, environment: str) -> list[StackTemplate]:
    manifest_path = assembly_dir / f"assembly-{environment}" / "manifest.json"
    if not manifest_path.is_file():
        raise RehearsalError(f"no cloud assembly for {environment} in {assembly_dir}")
    manifest = json.loads(manifest_path.read_text())
    stacks = []
    for artifact in manifest["artifacts"].values():
        if artifact.get("type") == "aws:cloudformation:stack":
            props = artifact["properties"]
            template = json.loads((manifest_path.parent / props["templateFile"]).read_text())
            stacks.append(StackTemplate(props.get("stackName", artifact.get("displayName", "")), template))
    return stacks


@dataclass
class ResourceTally:
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, int, int, str]]:
        """(type, created, skipped, why skipped)."""
        rows = []
        for resource_type in sorted(set(self.created) | set(self.skipped)):
            why = ""
            if self.skipped[resource_type]:
                why = "custom resource: handler not run" if is_custom_resource(resource_type) else "not implemented by moto"
            rows.append((resource_type, self.created[resource_type], self.skipped[resource_type], why))
        return rows


def expected_asset_keys(assembly_dir: Path) -> set[str]:
    """The S3 object keys of every file asset (Lambda code, templates, scripts) the deploy must publish."""
    keys = set()
    for manifest in assembly_dir.glob("*.assets.json"):
        for asset in json.loads(manifest.read_text()).get("files", {}).values():
            keys.update(destination["objectKey"] for destination in asset.get("destinations", {}).values())
    return keys


def is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def tally(stacks: Sequence[StackTemplate], reported: Mapping[str, set[str]]) -> ResourceTally:
    """Created: resources the emulator reports with a logical id. Skipped: the template's others, and custom
    resources, whose handlers the emulator does not run (scripts/rehearsal_emulator.py)."""
    result = ResourceTally()
    for stack in stacks:
        seen = reported.get(stack.stack_name, set())
        for logical_id, resource_type in stack.resources().items():
            created = logical_id in seen and not is_custom_resource(resource_type)
            (result.created if created else result.skipped)[resource_type] += 1
    return result


def aws_client(service: str, env: Mapping[str, str]):
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"])
    assert_loopback(env["AWS_ENDPOINT_URL"])
    return session.client(service, endpoint_url=env["AWS_ENDPOINT_URL"],
                          config=Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=60))


def deployed_resources(stack_names: Sequence[str], env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{stack: {logical id: physical id}} as the emulator reports them (skipped resources have no logical id)."""
    cloudformation = aws_client("cloudformation", env)
    out: dict[str, dict[str, str]] = {}
    for name in stack_names:
        resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        out[name] = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources if "LogicalResourceId" in r}
    return out


def live_stacks(stack_names: Sequence[str], env: Mapping[str, str]) -> list[str]:
    cloudformation = aws_client("cloudformation", env)
    statuses = {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks().get("Stacks", [])}
    return [name for name in stack_names if statuses.get(name, "DELETE_COMPLETE") != "DELETE_COMPLETE"]


def unchanged_stacks(output: str, stack_names: Sequence[str]) -> list[str]:
    return [name for name in stack_names if re.search(rf"{re.escape(name)}.*\(no changes\)", output)]


# --------------------------------------------------------------------------- the rehearsal


@dataclass
class Report:
    environment: str
    isolation: str
    phases: list[Phase] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)
    resources: ResourceTally = field(default_factory=ResourceTally)
    overrides: list[str] = field(default_factory=list)
    assets_published: int = 0
    seconds: float = 0.0
    checks: list[str] = field(default_factory=list)  # what has been verified so far, in order

    def render(self) -> str:
        lines = [f"Deploy rehearsal of {self.environment}: {len(self.stacks)} stacks, {self.seconds:.0f}s ({self.isolation})"]
        lines += [f"  {p.name:<10} {p.seconds:6.1f}s" for p in self.phases]
        lines.append(f"  verified: {'; '.join(self.checks)}")
        width = max([len(row[0]) for row in self.resources.rows()] + [13])
        lines.append(f"\n  {'resource type':<{width}}  created  skipped  (by the emulator)")
        for resource_type, created, skipped, why in self.resources.rows():
            lines.append(f"  {resource_type:<{width}}  {created:>7}  {skipped or '':>7}  {why}")
        created, skipped = sum(self.resources.created.values()), sum(self.resources.skipped.values())
        lines.append(f"  {'total':<{width}}  {created:>7}  {skipped:>7}")
        if skipped:
            lines.append("  The emulator reports skipped resources CREATE_COMPLETE but creates nothing: this rehearsal "
                         "does not vouch for them.")
        lines.append(f"  file assets (code, templates) published to the emulator's S3: {self.assets_published}")
        for override in self.overrides:
            lines.append(f"  rehearsal-only template override: {override}")
        from rehearsal_emulator import PATCHES

        lines.append(f"  emulator fixes (scripts/rehearsal_emulator.py): {', '.join(PATCHES)}")
        return "\n".join(lines)


def rehearse(environment: str, *, cli: Path = CDK_CLI, work_dir: Path = WORK_DIR, isolation: str,
             emulator_factory: Callable[[Path], Emulator] = Emulator, printer: Callable[[str], None] = print,
             report: Report | None = None) -> Report:
    sys.path.insert(0, str(ROOT))
    from cdk.config import load_app_config

    started = time.monotonic()
    config = load_app_config({**json.loads((ROOT / "cdk.json").read_text())["context"], "env": environment})
    env_config = config.environment(environment)
    report = report or Report(environment=environment, isolation=isolation)
    if work_dir.exists():
        shutil.rmtree(work_dir)
    (work_dir / "home").mkdir(parents=True)
    assembly = work_dir / "cdk.out"
    region = env_config.region

    # Synthesis needs no emulator: it gets an endpoint nobody listens on, and no credentials at all.
    offline_env = rehearsal_environment(os.environ, endpoint=f"http://{ENDPOINT_HOST}:9", region=region,
                                        home=work_dir / "home")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        offline_env.pop(key)
    # Lambda assets are built beforehand (`make rehearse` runs `make setup`): building them needs PyPI.
    printer(f"rehearse: synthesizing {environment} with the rehearsal app ...")
    report.phases.append(run_cli("synth", ["synth", *CDK_FLAGS, "--quiet", "--app", f"{sys.executable} -m cdk.rehearsal",
                                           "-c", f"env={environment}", "-o", str(assembly), f"{environment}/*"],
                                 offline_env, cli=cli, log_dir=work_dir))
    stacks = assembly_stacks(assembly, environment)
    report.checks.append("synthesized with the policy gates")
    report.stacks = [s.stack_name for s in stacks]
    report.overrides = [o for s in stacks for o in s.overrides()]
    asset_keys = expected_asset_keys(assembly / f"assembly-{environment}")

    emulator = emulator_factory(work_dir / "emulator.log")
    with emulator:
        env = rehearsal_environment(os.environ, endpoint=emulator.endpoint, region=region, home=work_dir / "home")
        printer(f"rehearse: emulator on {emulator.endpoint} (pid {emulator.process.pid if emulator.process else '?'})")
        deploy_args = ["--app", str(assembly), "--method=direct", "--require-approval=never", f"{environment}/*"]
        # `--app <assembly>`: bootstrap must not synthesize app.py (the real app) again.
        report.phases.append(run_cli("bootstrap", ["bootstrap", *CDK_FLAGS, "--app", str(assembly),
                                                   f"aws://{EMULATOR_ACCOUNT}/{region}"],
                                     env, cli=cli, log_dir=work_dir))
        report.checks.append("bootstrapped")
        printer("rehearse: deploying ...")
        report.phases.append(run_cli("deploy", ["deploy", *CDK_FLAGS, *deploy_args], env, cli=cli, log_dir=work_dir))
        report.checks.append("deployed")
        first = deployed_resources(report.stacks, env)
        report.resources = tally(stacks, {name: set(resources) for name, resources in first.items()})
        bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{EMULATOR_ACCOUNT}-{region}"
        published = {o["Key"] for o in aws_client("s3", env).list_objects_v2(Bucket=bucket).get("Contents", [])}
        missing = sorted(asset_keys - published)
        if missing:
            raise RehearsalError(f"assets not published to {bucket}: {', '.join(missing)}")
        report.assets_published = len(asset_keys)
        report.checks.append("assets published")

        printer("rehearse: deploying again (must be a no-op) ...")
        redeploy = run_cli("redeploy", ["deploy", *CDK_FLAGS, *deploy_args], env, cli=cli, log_dir=work_dir)
        report.phases.append(redeploy)
        changed = sorted(set(report.stacks) - set(unchanged_stacks(redeploy.output, report.stacks)))
        if changed:
            raise RehearsalError(f"the second deploy was not a no-op for: {', '.join(changed)}")
        if deployed_resources(report.stacks, env) != first:
            raise RehearsalError("the second deploy replaced resources (physical ids changed)")
        report.checks.append("second deploy is a no-op")

        printer("rehearse: destroying ...")
        report.phases.append(run_cli("destroy", ["destroy", *CDK_FLAGS, "--app", str(assembly), "--force",
                                                 f"{environment}/*"], env, cli=cli, log_dir=work_dir))
        remaining = live_stacks(report.stacks, env)
        if remaining:
            raise RehearsalError(f"stacks still present after destroy: {', '.join(remaining)}")
        report.checks.append("destroyed")
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="dev", help="the environment to rehearse (default: dev)")
    parser.add_argument("--cdk", type=Path, default=CDK_CLI, help=argparse.SUPPRESS)  # tests substitute a CLI
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR, help="logs, assembly and report (default: .rehearsal/)")
    parser.add_argument("--no-isolation", action="store_true", help="do not use a private network namespace")
    parser.add_argument("--in-isolated-network", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if not args.in_isolated_network and not args.no_isolation:
        reexec_in_isolated_network(argv)  # returns only when the kernel does not allow it
    if args.in_isolated_network:
        bring_up_loopback()
        if not loopback_only_network():
            print("rehearse: the private network namespace has interfaces other than lo; refusing", file=sys.stderr)
            return 2
        isolation = "private network namespace: loopback only"
    else:
        isolation = "host network: loopback endpoint checked, proxies and AWS credentials removed"
    terminate_on_signals()
    report = Report(environment=args.env, isolation=isolation)
    try:
        rehearse(args.env, cli=args.cdk, work_dir=args.work_dir.resolve(), isolation=isolation, report=report)
    except RehearsalError as error:
        print(f"rehearse: FAILED: {error}", file=sys.stderr)
        print(f"rehearse: {len(report.checks)} passed, 1 failed")
        return 1
    print(report.render())
    (args.work_dir / "report.json").write_text(json.dumps({
        "environment": report.environment, "seconds": round(report.seconds, 1), "isolation": report.isolation,
        "phases": {p.name: round(p.seconds, 1) for p in report.phases}, "stacks": report.stacks,
        "created": dict(sorted(report.resources.created.items())),
        "skipped": dict(sorted(report.resources.skipped.items())),
        "assets_published": report.assets_published, "overrides": report.overrides,
    }, indent=2) + "\n")
    print(f"rehearse: {len(report.checks)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
