"""`make cost-report` prices the CloudTrail trail once per account: the first account stack's trail is the free
copy of management events; a second region's of the same account pays."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest

from cdk.config import load_app_config
from tests.infra.synth import cdk_context

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location("cost_report_script", ROOT / "scripts" / "cost_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_first_account_stack_of_an_account_gets_the_free_copy():
    script = _script()
    places = load_app_config(cdk_context()).account_places
    assert len(places) == 1  # the shipped config: one account and region
    [place] = places
    assert script.trail_first_copies(places) == {place.stage_id}

    second_region = dataclasses.replace(place, region="us-east-1")
    other_account = dataclasses.replace(place, account="111122223333")
    external = dataclasses.replace(place, account="444455556666", external=True)
    assert script.trail_first_copies([place, second_region, other_account, external]) == {
        place.stage_id, other_account.stage_id}

    strictest = place.strictest
    covered = dataclasses.replace(place, strictest=dataclasses.replace(strictest, observability=dataclasses.replace(
        strictest.observability, cloudtrail=dataclasses.replace(strictest.observability.cloudtrail,
                                                                organization_trail_covers_account=True))))
    assert script.trail_first_copies([covered]) == set()


def test_a_fresh_synth_for_the_report_leaves_no_cloud_assembly_behind(tmp_path, monkeypatch):
    """`make cost-report` synthesizes every environment into a temporary directory: it was never removed, so each
    run left a whole cloud assembly (templates and Lambda assets) in /tmp."""
    import json
    import tempfile

    script = _script()

    def fake_synth(outdir: Path) -> None:
        (outdir / "assembly-dev").mkdir(parents=True)
        (outdir / "assembly-dev" / "dev-api.template.json").write_text(json.dumps({"Resources": {}}))
        (outdir / "assembly-dev" / "manifest.json").write_text(json.dumps({"artifacts": {"devApi": {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": "dev-api.template.json", "stackName": "genai-dev-api"}}}}))

    monkeypatch.setattr(script, "_synthesize", fake_synth)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert script.synthesized_templates(None, ["dev"]) == {"dev": {"genai-dev-api": {"Resources": {}}}}
    assert list(tmp_path.iterdir()) == []


def test_markdown_for_some_environments_never_rewrites_the_readme_block_of_all(monkeypatch, capsys):
    """--format markdown rewrites README.md's generated block; with --env it replaced every environment's section
    by the chosen ones'. Refused before any synth (exit 2, naming both options)."""
    script = _script()
    monkeypatch.setattr(script, "synthesized_templates", lambda *args: pytest.fail("synthesized"))
    with pytest.raises(SystemExit) as exit_:
        script.main(["--env", "dev", "--format", "markdown"])
    assert exit_.value.code == 2 and "--env" in capsys.readouterr().err
