"""Build the declarative git scenarios of ``fixtures-repos/*.toml`` with the real ``git`` binary.

Only the tests use git; vcrelease itself never does. Every git command runs isolated from the
user's and the system's configuration, with fixed author and committer names, and with commit
and tagger dates that grow by one minute per step from 2026-01-01T00:00:00Z, so the same
scenario always gives the same object ids (node hashes are stable).

Scenario file format (one TOML file per scenario, the file name is the scenario name)::

    description = "what the scenario shows"
    workdir = "repo"            # optional: where to evaluate, relative to the build root;
                                # default: the directory of the last `cd` step, else "repo"
    clock = "frozen"            # optional: every step at the same second (default: one
                                # minute later per step)

    [config]                    # optional: written as [tool.vcrelease] into
    tag-pattern = "..."         # <workdir>/pyproject.toml (an untracked file)

    [oracle]                    # optional: how the oracles are asked
    git-match = ["*[0-9]*"]     # `git describe --match` globs (default: setuptools-scm's)
    setuptools-scm = { }        # extra [tool.setuptools_scm] keys for setuptools-scm

    [expected]                  # what vcrelease must report
    tag = "v1.0.0"              # "" = no tag
    distance = 2
    dirty = false
    dirty-files = []            # optional: the tracked paths that make the tree dirty
    branch = "main"             # "" = detached HEAD
    public = "1.0.1.dev2"       # public part of the version (default schemes unless [config])
    local = "{node}"            # local part: "" none; {node} = g + 9 hex of HEAD; {date} = the
                                # dirty date YYYYMMDD (the tests set SOURCE_DATE_EPOCH)
    # or instead: error = 3     # the exit code of the error vcrelease must raise
    docker-tags = ["1.4.7"]     # optional: `vcrelease docker-tags` outside CI, in order
    docker-warning = "shallow"  # optional: a word its warning must hold (none when unset)

    [[steps]]                   # run in order; each step has exactly one action key
                                # (the files use the equivalent `steps = [{...}, ...]`)
    commit = "message"          # optional files = {path = content}, delete = [paths];
                                # without files, writes <slug of message>.txt; at = N
                                # dates it N minutes after the base date instead of the
                                # step's own time (skewed commit times; also for merge)
    branch = "name"             # optional start = "rev"
    checkout = "rev"            # optional create = true (-b), detach = true (--detach)
    merge = ["a", "b"]          # optional no-ff = true, message = "..."
    tag = "v1.0.0"              # optional annotated = true, message = "...", target = "rev"
    write = {path = content}    # change the work tree only (content "" allowed)
    stage = [paths]             # git add
    remove = [paths]            # delete from the work tree only
    touch = [paths]             # move the mtime forward (stat data no longer matches the index)
    mkdir = [paths]
    chmod = {path = "755"}      # change a work-tree file's mode (octal string)
    symlink = {path = target}   # create a symbolic link in the work tree
    config = {key = value}      # git config
    git = [args]                # any git command; "{root}" is the build root; optional cwd
    cd = "dir"                  # later steps run in <build root>/dir

The builder writes ``<workdir>/pyproject.toml`` itself (``[project]`` name = scenario name, and
``[tool.vcrelease]``), untracked; scenarios must not commit one there.
Content strings are written byte for byte (``newline=""``), so ``"a\\r\\n"`` gives CRLF.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitutil import run_git

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures-repos"

_ACTIONS = (
    "commit",
    "branch",
    "checkout",
    "merge",
    "tag",
    "write",
    "stage",
    "remove",
    "touch",
    "mkdir",
    "chmod",
    "symlink",
    "config",
    "git",
    "cd",
)
_OPTIONS = {
    "commit": {"files", "delete", "at"},
    "branch": {"start"},
    "checkout": {"create", "detach"},
    "merge": {"no-ff", "message", "at"},
    "tag": {"annotated", "message", "target"},
    "git": {"cwd"},
}
_TOP_KEYS = {"description", "workdir", "clock", "config", "oracle", "expected", "steps"}
_EXPECTED_KEYS = {
    "tag",
    "distance",
    "dirty",
    "dirty-files",
    "branch",
    "public",
    "local",
    "error",
    "docker-tags",
    "docker-warning",
}
_ORACLE_KEYS = {"git-match", "setuptools-scm"}


class ScenarioError(ValueError):
    """A scenario file is malformed."""


@dataclass(frozen=True)
class Scenario:
    """One parsed scenario file."""

    name: str
    path: Path
    description: str
    steps: tuple[dict[str, Any], ...]
    config: dict[str, Any] = field(default_factory=dict)
    oracle: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    workdir: str | None = None
    frozen_clock: bool = False

    @property
    def git_match(self) -> tuple[str, ...]:
        """``git describe --match`` globs equivalent to the scenario's tag pattern."""
        return tuple(self.oracle.get("git-match", ["*[0-9]*"]))

    @property
    def setuptools_scm_config(self) -> dict[str, Any]:
        """``[tool.setuptools_scm]`` for the setuptools-scm oracle: same schemes as ours."""
        cfg: dict[str, Any] = {}
        if "version-scheme" in self.config:
            cfg["version_scheme"] = self.config["version-scheme"]
        if "local-scheme" in self.config:
            cfg["local_scheme"] = self.config["local-scheme"]
        cfg.update(self.oracle.get("setuptools-scm", {}))
        return cfg


@dataclass(frozen=True)
class BuiltRepo:
    """A scenario built on disk."""

    scenario: Scenario
    root: Path
    workdir: Path


def load_scenario(path: Path) -> Scenario:
    """Parse and validate one scenario file."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    name = path.stem
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {sorted(unknown)}")
    steps = data.get("steps", [])
    for i, step in enumerate(steps):
        actions = [k for k in step if k in _ACTIONS]
        if len(actions) != 1:
            raise ScenarioError(f"{path}: step {i} needs exactly one action, has {actions}")
        extra = set(step) - {actions[0]} - _OPTIONS.get(actions[0], set())
        if extra:
            raise ScenarioError(f"{path}: step {i} ({actions[0]}) has unknown keys {extra}")
    expected = data.get("expected", {})
    if set(expected) - _EXPECTED_KEYS:
        raise ScenarioError(f"{path}: unknown expected keys {set(expected) - _EXPECTED_KEYS}")
    oracle = data.get("oracle", {})
    if set(oracle) - _ORACLE_KEYS:
        raise ScenarioError(f"{path}: unknown oracle keys {set(oracle) - _ORACLE_KEYS}")
    if data.get("clock", "running") not in {"running", "frozen"}:
        raise ScenarioError(f"{path}: clock must be 'running' or 'frozen'")
    if not data.get("description"):
        raise ScenarioError(f"{path}: a description is required")
    return Scenario(
        name=name,
        path=path,
        description=data["description"],
        steps=tuple(steps),
        config=data.get("config", {}),
        oracle=oracle,
        expected=expected,
        workdir=data.get("workdir"),
        frozen_clock=data.get("clock") == "frozen",
    )


def load_scenarios(directory: Path = FIXTURES_DIR) -> list[Scenario]:
    """Every ``*.toml`` scenario in ``directory``, sorted by name."""
    return [load_scenario(p) for p in sorted(directory.glob("*.toml"))]


def _write(base: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as f:
            f.write(content)


def _slug(message: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", message).strip("-").lower() or "commit"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_table(name: str, values: dict[str, Any]) -> str:
    """A TOML table with scalar, list or one level of nested-table values."""
    lines = [f"[{name}]"]
    nested = {k: v for k, v in values.items() if isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if k not in nested]
    text = "\n".join(lines) + "\n"
    for key, sub in nested.items():
        text += "\n" + toml_table(f"{name}.{key}", sub)
    return text


def build(scenario: Scenario, dest: Path, object_format: str = "sha1") -> BuiltRepo:
    """Build ``scenario`` under ``dest`` (the build root); the main repository is ``dest/repo``,
    and every repository ``git init`` makes is of ``object_format`` (``sha1``, ``sha256``).

    Writes ``<workdir>/pyproject.toml`` (untracked) holding ``[tool.vcrelease]`` with the
    scenario's config, unless the work dir is missing (nothing to version there).
    """
    dest.mkdir(parents=True, exist_ok=True)

    def git_in(args: list[str], where: Path, when: int = 0) -> None:
        run_git(args, where, when=when, object_format=object_format)

    repo = dest / "repo"
    repo.mkdir()
    git_in(["init", "-q"], repo)
    cwd = repo
    last_cd: str | None = None
    for index, step in enumerate(scenario.steps, start=1):
        minute = 0 if scenario.frozen_clock else index
        minute = step.get("at", minute)
        if "commit" in step:
            files = step.get("files")
            if files is None and not step.get("delete"):
                files = {f"{_slug(step['commit'])}.txt": step["commit"] + "\n"}
            if files:
                _write(cwd, files)
                git_in(["add", "--", *files], cwd, when=minute * 60)
            if step.get("delete"):
                git_in(["rm", "-q", "--", *step["delete"]], cwd, when=minute * 60)
            git_in(["commit", "-q", "-m", step["commit"]], cwd, when=minute * 60)
        elif "branch" in step:
            start = [step["start"]] if "start" in step else []
            git_in(["branch", step["branch"], *start], cwd, when=minute * 60)
        elif "checkout" in step:
            flags = ["-b"] if step.get("create") else []
            flags += ["--detach"] if step.get("detach") else []
            git_in(["checkout", "-q", *flags, step["checkout"]], cwd, when=minute * 60)
        elif "merge" in step:
            heads = step["merge"] if isinstance(step["merge"], list) else [step["merge"]]
            message = step.get("message", "Merge " + ", ".join(heads))
            flags = ["--no-ff"] if step.get("no-ff") else []
            git_in(["merge", "-q", *flags, "-m", message, *heads], cwd, when=minute * 60)
        elif "tag" in step:
            args = ["tag"]
            if step.get("annotated"):
                args += ["-a", "-m", step.get("message", step["tag"])]
            args.append(step["tag"])
            if "target" in step:
                args.append(step["target"])
            git_in(args, cwd, when=minute * 60)
        elif "write" in step:
            _write(cwd, step["write"])
        elif "stage" in step:
            git_in(["add", "--", *step["stage"]], cwd, when=minute * 60)
        elif "remove" in step:
            for rel in step["remove"]:
                (cwd / rel).unlink()
        elif "touch" in step:
            for rel in step["touch"]:
                st = (cwd / rel).stat()
                os.utime(cwd / rel, ns=(st.st_atime_ns, st.st_mtime_ns + 7_000_000_000))
        elif "mkdir" in step:
            for rel in step["mkdir"]:
                (cwd / rel).mkdir(parents=True, exist_ok=True)
        elif "chmod" in step:
            for rel, mode in step["chmod"].items():
                (cwd / rel).chmod(int(mode, 8))
        elif "symlink" in step:
            for rel, target in step["symlink"].items():
                (cwd / rel).symlink_to(target)
        elif "config" in step:
            for key, value in step["config"].items():
                git_in(["config", key, _git_config_value(value)], cwd, when=minute * 60)
        elif "git" in step:
            where = dest / step["cwd"] if "cwd" in step else cwd
            args = [a.replace("{root}", dest.as_posix()) for a in step["git"]]
            git_in(args, where, when=minute * 60)
        elif "cd" in step:
            last_cd = step["cd"]
            cwd = dest / last_cd
    workdir = dest / (scenario.workdir or last_cd or "repo")
    if workdir.is_dir():
        if (workdir / "pyproject.toml").exists():
            raise ScenarioError(f"{scenario.path}: the builder writes pyproject.toml itself")
        pyproject = toml_table("project", {"name": scenario.name, "dynamic": ["version"]})
        pyproject += "\n" + toml_table("tool.vcrelease", scenario.config)
        (workdir / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return BuiltRepo(scenario=scenario, root=dest, workdir=workdir)


def _git_config_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def head_of(path: Path) -> str | None:
    """``git rev-parse HEAD`` in ``path``; None when there is no commit."""
    proc = run_git(["rev-parse", "--verify", "--quiet", "HEAD"], path, check=False)
    return proc.stdout.strip() or None
