"""Run a composite action's steps as the GitHub Actions runner does, on this machine.

What is done as the runner does it (GitHub docs: "Metadata syntax for GitHub Actions",
"Contexts", "Expressions", "Workflow commands"):

- the inputs: the ``with:`` values over the defaults of ``action.yml``, in the ``inputs``
  context and as ``INPUT_<NAME>`` variables (upper case, spaces to ``_``);
- ``${{ ... }}`` in ``run``, ``env``, ``working-directory`` and the output values, and ``if:``
  conditions (implicitly ``success() && (...)``): literals, the ``inputs``, ``steps``
  (``outputs``, ``outcome``, ``conclusion``), ``github`` (``action_path``, ``workspace``),
  ``runner`` (``temp``) and ``env`` contexts, ``==`` ``!=`` ``!`` ``&&`` ``||``, parentheses,
  ``always()`` ``success()`` ``failure()`` ``cancelled()``;
- ``shell: bash`` as ``bash --noprofile --norc -eo pipefail FILE``; ``shell: sh`` as ``sh -e``;
- per step, fresh ``GITHUB_OUTPUT``, ``GITHUB_ENV``, ``GITHUB_PATH`` and
  ``GITHUB_STEP_SUMMARY`` files: outputs (``name=value`` and ``name<<DELIMITER``) become
  ``steps.<id>.outputs``, ``GITHUB_ENV`` lines the next steps' environment, ``GITHUB_PATH``
  lines go before ``PATH``, and the step summaries are joined into the job's;
- a failing step fails the action; later steps run only when their condition says so.

Expressions are evaluated by a small parser here (not every function GitHub has: an unknown
name is an error, so the action cannot use what this runner would get wrong silently).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ActionRun", "StepRun", "evaluate", "parse_file_commands", "run_action"]

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!().,])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)


@dataclass
class StepRun:
    """One step as it ran: ``outcome`` ``success``, ``failure`` or ``skipped``."""

    id: str
    name: str
    outcome: str
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The action's run: its steps, its outputs, the job summary and the variables its steps
    exported (``GITHUB_ENV``)."""

    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str
    env: dict[str, str]

    @property
    def success(self) -> bool:
        return all(s.outcome != "failure" for s in self.steps)

    def all_text(self) -> str:
        """Every output the run made, for secret searches."""
        parts = [self.summary, *self.outputs.values(), *self.env.values()]
        for step in self.steps:
            parts += [step.stdout, step.stderr, *step.outputs.values()]
        return "\n".join(parts)


def parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` and ``name<<DELIMITER`` ... ``DELIMITER`` lines -> ``{name: value}``."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"no end delimiter {delimiter!r} for {name!r}")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise ValueError(f"invalid file command line {line!r}")
    return values


class _Parser:
    """Recursive descent over the expression grammar the module docstring names."""

    def __init__(self, text: str, contexts: Mapping[str, Any], status: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise ValueError(f"cannot parse expression {text!r} at {pos}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.pos = 0
        self.contexts = contexts
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ValueError(f"trailing tokens {self.tokens[self.pos :]!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        token = self.peek()
        if token in (("op", "=="), ("op", "!=")):
            self.take()
            right = self.unary()
            equal = _loose(value) == _loose(right)
            return equal if token == ("op", "==") else not equal
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if (kind, text) == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            functions = {
                "always": True,
                "success": self.status == "success",
                "failure": self.status == "failure",
                "cancelled": False,
            }
            if text not in functions:
                raise ValueError(f"function {text}() is not known to this runner")
            self.take("(")
            self.take(")")
            return functions[text]
        head, *rest = text.split(".")
        if head not in self.contexts:
            raise ValueError(f"context {head!r} is not known to this runner")
        found: Any = self.contexts[head]
        for part in rest:
            found = found.get(part) if isinstance(found, Mapping) else None
        return found


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "")


def _loose(value: Any) -> Any:
    """GitHub compares strings case-insensitively and null as ''."""
    if value is None:
        return ""
    return value.lower() if isinstance(value, str) else value


def evaluate(text: str, contexts: Mapping[str, Any], status: str = "success") -> Any:
    """One expression's value (the text between ``${{`` and ``}}``)."""
    return _Parser(text, contexts, status).parse()


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def substitute(text: str, contexts: Mapping[str, Any]) -> str:
    """``text`` with every ``${{ expression }}`` replaced by its value as a string."""
    return _EXPRESSION.sub(lambda m: _string(evaluate(m.group(1), contexts)), text)


def _condition(text: str | None, contexts: Mapping[str, Any], status: str) -> bool:
    if text is None:
        return status == "success"
    inner = str(text).strip()
    match = _EXPRESSION.fullmatch(inner)
    if match:
        inner = match.group(1)
    uses_status = re.search(r"\b(always|success|failure|cancelled)\s*\(", inner)
    if not uses_status:
        inner = f"success() && ({inner})"
    return _truthy(evaluate(inner, contexts, status))


def run_action(
    action_dir: Path,
    inputs: Mapping[str, str],
    env: Mapping[str, str],
    *,
    workspace: Path,
    temp: Path,
    timeout: float = 600,
) -> ActionRun:
    """Run the composite action in ``action_dir`` (its ``action.yml``) with ``inputs``.

    Args:
        action_dir: ``github.action_path``.
        inputs: the ``with:`` values.
        env: the job's environment (``GITHUB_*`` variables of the event, ``PATH``, ...).
        workspace: ``github.workspace``, where steps run without a working-directory.
        temp: ``runner.temp`` (``RUNNER_TEMP``).
    """
    spec = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert spec["runs"]["using"] == "composite"
    declared = spec.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
    values = {name: str((d or {}).get("default", "")) for name, d in declared.items()}
    values.update(inputs)
    job_env = dict(env)
    job_env.update(
        GITHUB_ACTION_PATH=str(action_dir),
        GITHUB_WORKSPACE=str(workspace),
        RUNNER_TEMP=str(temp),
        GITHUB_ACTIONS="true",
        CI="true",
    )
    for name, value in values.items():
        job_env[f"INPUT_{name.upper().replace(' ', '_')}"] = value
    steps_context: dict[str, dict[str, Any]] = {}
    runs: list[StepRun] = []
    summaries: list[str] = []
    status = "success"
    extra_path: list[str] = []
    added_env: dict[str, str] = {}
    for index, step in enumerate(spec["runs"]["steps"]):
        step_id = step.get("id") or f"__step{index}"
        contexts: dict[str, Any] = {
            "inputs": values,
            "steps": steps_context,
            "github": {"action_path": str(action_dir), "workspace": str(workspace)},
            "runner": {"temp": str(temp)},
            "env": job_env,
        }
        name = step.get("name", step_id)
        if not _condition(step.get("if"), contexts, status):
            steps_context[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            runs.append(StepRun(step_id, name, "skipped"))
            continue
        files = {n: temp / f"{n}-{index}" for n in ("output", "env", "path", "summary")}
        for file in files.values():
            file.write_text("")
        step_env = dict(job_env)
        step_env.update(
            {k: substitute(str(v), contexts) for k, v in (step.get("env") or {}).items()}
        )
        step_env.update(
            GITHUB_OUTPUT=str(files["output"]),
            GITHUB_ENV=str(files["env"]),
            GITHUB_PATH=str(files["path"]),
            GITHUB_STEP_SUMMARY=str(files["summary"]),
        )
        if extra_path:
            step_env["PATH"] = os.pathsep.join([*reversed(extra_path), step_env.get("PATH", "")])
        cwd = workspace / substitute(str(step.get("working-directory", ".")), contexts)
        script = temp / f"step-{index}.sh"
        script.write_text(substitute(step["run"], contexts))
        shell = step.get("shell")
        assert shell in ("bash", "sh"), f"step {name}: shell {shell!r} (composite steps need one)"
        command = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
            if shell == "bash"
            else ["sh", "-e", str(script)]
        )
        proc = subprocess.run(
            command, cwd=cwd, env=step_env, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        outputs = parse_file_commands(files["output"].read_text())
        exported = parse_file_commands(files["env"].read_text())
        job_env.update(exported)
        added_env.update(exported)
        extra_path += [p for p in files["path"].read_text().splitlines() if p]
        summaries.append(files["summary"].read_text())
        outcome = "success" if proc.returncode == 0 else "failure"
        if outcome == "failure":
            status = "failure"
        steps_context[step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
        runs.append(
            StepRun(step_id, name, outcome, proc.returncode, proc.stdout, proc.stderr, outputs)
        )
    final = {
        "inputs": values,
        "steps": steps_context,
        "github": {"action_path": str(action_dir), "workspace": str(workspace)},
        "runner": {"temp": str(temp)},
        "env": job_env,
    }
    outputs = {
        name: substitute(str(d.get("value", "")), final)
        for name, d in (spec.get("outputs") or {}).items()
    }
    return ActionRun(runs, outputs, "".join(summaries), added_env)
