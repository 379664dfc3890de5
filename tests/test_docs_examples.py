"""The CI examples in docs/examples stay valid: the YAML loads, and every `vcrelease` and
`vc-upload` command in them parses with the real command-line parser."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from vcrelease.cli.main import build_parser
from vcrelease.cli.upload import add_arguments

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
COMMAND = re.compile(
    r"(?:^|\$\(|;|&&|\bdo\b|\bthen\b)\s*(vcrelease|vc-upload)\b([^|;)\n]*)", re.MULTILINE
)


def shell_snippets(data: object) -> list[str]:
    """The shell code of a workflow or .travis.yml: GitHub steps' `run`, Travis phases."""
    if isinstance(data, dict):
        found = []
        for key, value in data.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            elif key in ("install", "script", "before_install", "after_success"):
                items = value if isinstance(value, list) else [value]
                found.extend(item for item in items if isinstance(item, str))
            else:
                found.extend(shell_snippets(value))
        return found
    if isinstance(data, list):
        return [s for item in data for s in shell_snippets(item)]
    return []


def commands(path: Path) -> list[list[str]]:
    """Every `vcrelease ...` / `vc-upload ...` call in the file's shell code, as argument
    lists, with `${{ ... }}` expressions and shell variables replaced by a placeholder."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for snippet in shell_snippets(data):
        text = re.sub(r"\$\{\{[^}]*\}\}", "X", snippet)
        text = re.sub(r"\"?\$\w+\"?|\$\{\w+\}", "X", text)
        for match in COMMAND.finditer(text):
            found.append([match.group(1), *shlex.split(match.group(2))])
    return found


@pytest.mark.parametrize("name", ["github-actions.yml", "travis.yml"])
def test_example_is_yaml_and_its_commands_parse(name: str) -> None:
    path = EXAMPLES / name
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)
    calls = commands(path)
    assert {c[0] for c in calls} == {"vcrelease", "vc-upload"}
    upload = __import__("argparse").ArgumentParser(prog="vc-upload", exit_on_error=False)
    add_arguments(upload)
    for call in calls:
        parser = build_parser(call[1]) if call[0] == "vcrelease" else upload
        try:
            parser.parse_args(call[1:])
        except SystemExit as exc:  # argparse exits on a bad option
            pytest.fail(f"{name}: `{' '.join(call)}` does not parse ({exc})")


def test_github_example_checks_out_full_history() -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["release"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
