"""Run a GitLab CI/CD component's job on this machine, as a GitLab runner with the bash shell.

What is done as GitLab does it (GitLab docs: "CI/CD components", "Define inputs with
spec:inputs", "Predefined CI/CD variables", "OpenID Connect (OIDC) ID tokens", "dotenv
artifacts"):

- the header's ``spec: inputs``: unknown inputs are refused, ``options`` and ``type: boolean``
  checked, defaults filled; ``$[[ inputs.NAME ]]`` replaced in every string of the job;
- the job's environment: the predefined variables the caller gives, the job's ``variables``,
  and each ``id_tokens`` entry as a variable holding a token for its ``aud`` (made by the
  caller's ``issue`` function: the OIDC stand-in);
- ``before_script`` and ``script`` entries run in order in one ``bash`` with ``set -eo
  pipefail`` (the runner's bash shell); the first failing entry fails the job;
- ``artifacts: reports: dotenv``: ``KEY=VALUE`` lines read back.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["JobRun", "interpolate", "run_component_job"]

_INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


@dataclass
class JobRun:
    """The job as it ran: exit code, log (stdout and stderr), the dotenv report."""

    returncode: int
    log: str
    dotenv: dict[str, str]
    variables: dict[str, str]


def interpolate(template: Path, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The job document of ``template`` with ``inputs`` checked and interpolated."""
    header, body = yaml.safe_load_all(template.read_text(encoding="utf-8"))
    declared = header["spec"]["inputs"]
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"unknown inputs {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name not in inputs and "default" not in spec:
            raise ValueError(f"input {name} is required")
        value = inputs.get(name, spec.get("default"))
        if spec.get("type") == "boolean" and not isinstance(value, bool):
            raise ValueError(f"input {name} must be a boolean")
        if "options" in spec and value not in spec["options"]:
            raise ValueError(f"input {name}: {value!r} is not one of {spec['options']}")
        values[name] = value

    def text(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _INPUT.sub(lambda m: text(values[m.group(1)]), node)
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        return node

    result = walk(body)
    assert isinstance(result, dict)
    return result


def run_component_job(
    template: Path,
    inputs: Mapping[str, Any],
    predefined: Mapping[str, str],
    *,
    project_dir: Path,
    issue: Callable[[str], str] | None,
    timeout: float = 600,
) -> JobRun:
    """Run the component's one job.

    Args:
        template: the component's ``template.yml``.
        inputs: the ``include: inputs:``.
        predefined: GitLab's predefined variables (``CI_*``, ``GITLAB_CI``) and the machine's
            (``PATH``, ``HOME``, ...).
        project_dir: ``CI_PROJECT_DIR``, where the job starts.
        issue: ``audience -> ID token`` for the job's ``id_tokens``; None: the job gets none
            (the variables are unset).
    """
    document = interpolate(template, inputs)
    ((name, job),) = document.items()
    variables = dict(predefined)
    variables["CI_PROJECT_DIR"] = str(project_dir)
    variables["CI_JOB_NAME"] = name
    variables.update({k: str(v) for k, v in (job.get("variables") or {}).items()})
    for token_name, spec in (job.get("id_tokens") or {}).items():
        if issue is not None:
            variables[token_name] = issue(str(spec["aud"]))
    entries = [*(job.get("before_script") or []), *job["script"]]
    script = "set -eo pipefail\n" + "\n".join(entries) + "\n"
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=project_dir, env=variables, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip
    dotenv: dict[str, str] = {}
    report = ((job.get("artifacts") or {}).get("reports") or {}).get("dotenv")
    if report and (project_dir / report).is_file():
        for line in (project_dir / report).read_text().splitlines():
            key, _, value = line.partition("=")
            dotenv[key] = value
    return JobRun(proc.returncode, proc.stdout + proc.stderr, dotenv, variables)
