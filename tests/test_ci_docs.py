"""The CI pages (docs/ci/) and their example files stay true to the action, the component and
the command line: every YAML block loads, each page's job is its example file, every input
and output a workflow names exists, and every vcrelease / vc-upload command in them (and in
action.yml and the component's script) parses with the real parser."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from test_docs_examples import COMMAND
from vcrelease.cli.main import build_parser
from vcrelease.cli.upload import add_arguments

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "ci"
EXAMPLES = ROOT / "docs" / "examples"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
COMPONENT = ROOT / "templates" / "vcrelease" / "template.yml"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(page: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall((DOCS / page).read_text()) if lang == language]


def test_every_page_exists_and_its_yaml_loads() -> None:
    assert sorted(p.name for p in DOCS.glob("*.md")) == [
        "github-actions.md", "gitlab.md", "other.md", "travis.md",
    ]  # fmt: skip
    for page in DOCS.glob("*.md"):
        for block in blocks(page.name, "yaml"):
            assert yaml.safe_load(block) is not None, page.name


@pytest.mark.parametrize(
    ("page", "example"),
    [("github-actions.md", "github-action.yml"), ("gitlab.md", "gitlab-ci.yml"),
     ("travis.md", "travis.yml")],
)  # fmt: skip
def test_each_page_shows_its_example_file(page: str, example: str) -> None:
    shown = yaml.safe_load(blocks(page, "yaml")[0])
    assert shown == yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))


def test_the_workflow_uses_only_the_actions_inputs_and_outputs() -> None:
    text = (EXAMPLES / "github-action.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    ours = [s for s in steps if s.get("uses", "").startswith("vcrelease/vcrelease@")]
    assert ours
    for step in ours:
        assert set(step.get("with") or {}) <= set(ACTION["inputs"])
    used = set(re.findall(r"steps\.vcrelease\.outputs\.([\w-]+)", text))
    assert used
    assert used <= set(ACTION["outputs"])
    release = workflow["jobs"]["release"]
    assert release["permissions"]["id-token"] == "write"
    assert "merge_group" in workflow[True]  # YAML 1.1 reads the key `on` as True


def test_the_pipeline_uses_only_the_components_inputs() -> None:
    header = next(yaml.safe_load_all(COMPONENT.read_text(encoding="utf-8")))
    pipeline = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    (include,) = pipeline["include"]
    assert set(include["inputs"]) <= set(header["spec"]["inputs"])


def _shell_texts() -> list[tuple[str, str]]:
    texts = [("action.yml", step["run"]) for step in ACTION["runs"]["steps"]]
    job = list(yaml.safe_load_all(COMPONENT.read_text(encoding="utf-8")))[1]
    texts += [("template.yml", line) for job_spec in job.values() for line in job_spec["script"]]
    for page in DOCS.glob("*.md"):
        for language in ("sh", "groovy", "yaml"):
            texts += [(page.name, block) for block in blocks(page.name, language)]
    return texts


def test_every_command_in_the_ci_files_parses() -> None:
    upload = __import__("argparse").ArgumentParser(prog="vc-upload", exit_on_error=False)
    add_arguments(upload)
    seen = 0
    for where, text in _shell_texts():
        text = re.sub(r"\$\{\{[^}]*\}\}|\$\[\[[^]]*\]\]", "X", text)
        text = re.sub(r"\"\$@\"|\"\$\{\w+\[@\]\}\"", "", text)  # option arrays: none here
        text = re.sub(r"\"?\$\w+\"?|\$\{\w+\}", "X", text)
        text = text.replace("\\\n", " ")
        for match in COMMAND.finditer(text):
            if match.group(2).startswith(":"):
                continue  # a YAML key (the component's job), not a command
            words = shlex.split(match.group(2).split(">")[0], comments=True)
            call = [match.group(1), *words]
            parser = build_parser(call[1]) if call[0] == "vcrelease" else upload
            try:
                parser.parse_args(call[1:])
            except SystemExit as exc:
                pytest.fail(f"{where}: `{' '.join(call)}` does not parse ({exc})")
            seen += 1
    assert seen > 20
