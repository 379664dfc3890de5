"""Benchmark ``vcrelease version`` against ``python -m setuptools_scm`` and git itself.

Usage: ``python benchmarks/run.py [--quick] [--runs N] [--only near,far-graph,...]``
(``nox -s bench -- --quick`` passes the options through).

For every repository of :mod:`generate` (built once and cached outside the work tree):

1. correctness: ``vcrelease describe --json`` must report the tag, distance, node and dirty
   state of ``git describe --tags --long --dirty --abbrev=40`` and of the generator's spec, and
   ``vcrelease version`` must print what ``python -m setuptools_scm`` prints; with the describe
   cache cold and warm;
2. timing: whole processes, one warm-up round, then ``--runs`` rounds (default 7, at least 5)
   with the tools interleaved (the order rotates every round); the medians are reported;
3. peak memory: the maximum resident set size of each measured process and the children it
   waited for, from ``os.wait4`` (the kernel's ``ru_maxrss``), largest over the runs.

Tools:

- ``vcrelease``: the ``vcrelease version`` console script (``python -m vcrelease version`` when
  the script is not installed) with a cold describe cache: the cache file is deleted before each
  run (untimed);
- ``vcrelease warm``: the same command right after an untimed call that filled the cache;
- ``describe only``: ``benchmarks/describe_only.py``, the git-reading part of ``vcrelease
  version`` alone (cold cache): Python's start and ``vcrelease.git``,
  without the command line, the configuration and vcs-versioning (for the breakdown; no
  target);
- ``setuptools_scm``: ``python -m setuptools_scm``;
- ``git``: ``git describe --tags --long --dirty``, then ``git status --porcelain
  --untracked-files=no``, then ``python -c pass`` (the interpreter's own start, which no Python
  tool can avoid), times added, memory the largest.

Monorepo repositories (``monorepo``, ``monorepo-graph``) are measured in the
project directory ``pkg-00`` (``distance-scope = [".", "../shared"]``) with their own tools:

- ``vcrelease``: ``vcrelease version``, cold describe cache;
- ``setuptools_scm``: ``python -m setuptools_scm -c scm.toml`` (vcs-versioning's own
  ``scm.git.distance_scope``, which runs ``git describe`` and ``git rev-list --count
  --full-history TAG..HEAD -- PATHS``);
- ``git``: ``git describe --tags --long --dirty --match pkg-00-v*``, ``git rev-list --count
  --full-history TAG..HEAD -- . ../shared``, ``git status --porcelain --untracked-files=no --
  . ../shared``, then ``python -c pass``;

checked first: vcrelease's distance must be git's scoped count, its version setuptools-scm's.

Every process runs with ``GIT_CONFIG_GLOBAL=/dev/null``, ``GIT_CONFIG_NOSYSTEM=1``, no CI
variables, no ``VCRELEASE_*`` variables, a fixed ``SOURCE_DATE_EPOCH``, and without
``PYTHONDONTWRITEBYTECODE`` (Python modules load from cached bytecode, as after an install).
The load average before and after is recorded: other work on the machine skews the medians.

Writes ``benchmarks/results.md`` (``--quick``: ``results-quick.md`` in the benchmark cache
directory, so a trial run does not touch the committed results) and prints PASS/FAIL per
target. Exit status 0 when every target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

HERE = Path(__file__).resolve().parent
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
CI_VARIABLES = (
    "CI", "GITHUB_ACTIONS", "TRAVIS", "GITLAB_CI", "CIRCLECI", "TF_BUILD",
    "BITBUCKET_BUILD_NUMBER", "BUILDKITE", "JENKINS_URL", "JENKINS_HOME",
)  # fmt: skip

# The version targets. The git target counts the interpreter's start: a Python process cannot
# start faster than ``python -c pass``, so "2 x git" without it would be unreachable by
# construction.
SCM_RATIO = 0.8
SCM_RATIO_FAR_COLD = 1.5
GIT_RATIO = 2.0
WARM_RATIO = 0.5
PEAK_MIB = 150.0
GIT_TARGET_REPOS = ("near", "tags")


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VCRELEASE_", "GIT_", "SETUPTOOLS_SCM_", "VCS_VERSIONING_"))
        and k not in CI_VARIABLES
        and k != "PYTHONDONTWRITEBYTECODE"  # as installed: modules load from cached bytecode
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
        LC_ALL="C",
    )
    return env


def _vcrelease_command() -> list[str]:
    script = Path(sys.executable).parent / "vcrelease"
    if script.is_file():
        return [str(script)]
    found = shutil.which("vcrelease")
    return [found] if found else [sys.executable, "-m", "vcrelease"]


@dataclass(frozen=True)
class Sample:
    """One measurement: wall seconds, peak RSS in KiB, and the stdout of each command."""

    seconds: float
    max_rss_kib: int
    outputs: tuple[str, ...]


def measure(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> Sample:
    """Run ``commands`` one after the other; wall time summed, peak memory the largest.

    Raises:
        RuntimeError: a command exits non-zero (its stderr is in the message).
    """
    total = 0.0
    peak = 0
    outputs = []
    for argv in commands:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            total += time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(argv)} in {cwd} exited {proc.returncode}: "
                    f"{err.read().decode(errors='replace')}"
                )
            outputs.append(out.read().decode().strip())
        peak = max(peak, usage.ru_maxrss)
    return Sample(total, peak, tuple(outputs))


def _cache_files(repo: Path) -> list[Path]:
    """vcrelease's describe cache files of ``repo`` (see ``vcrelease.git.cache``)."""
    git_dir = repo / ".git"
    return [p for p in (git_dir / "vcrelease").glob("*") if p.is_file()]


def clear_cache(repo: Path) -> None:
    for path in _cache_files(repo):
        path.unlink()


@dataclass
class Tool:
    """A command to time; ``before`` runs untimed before each measurement."""

    name: str
    commands: list[list[str]]
    before: Callable[[Path, dict[str, str]], None] | None = None
    samples: list[Sample] = field(default_factory=list)


def tools() -> list[Tool]:
    vc = _vcrelease_command()

    def cold(repo: Path, env: dict[str, str]) -> None:
        clear_cache(repo)

    def warm(repo: Path, env: dict[str, str]) -> None:
        clear_cache(repo)
        measure([[*vc, "version"]], repo, env)

    describe_only = [sys.executable, str(HERE / "describe_only.py")]
    return [
        Tool("vcrelease", [[*vc, "version"]], cold),
        Tool("vcrelease warm", [[*vc, "version"]], warm),
        Tool("describe only", [describe_only], cold),
        Tool("setuptools_scm", [[sys.executable, "-m", "setuptools_scm"]]),
        Tool(
            "git",
            [
                ["git", "describe", "--tags", "--long", "--dirty"],
                ["git", "status", "--porcelain", "--untracked-files=no"],
                [sys.executable, "-c", "pass"],
            ],
        ),
    ]


def check(spec: generate.Spec, repo: Path, env: dict[str, str]) -> list[str]:
    """Differences between vcrelease, git, setuptools_scm and the spec (empty when equal)."""
    problems = []
    vc = _vcrelease_command()
    git = measure([["git", "describe", "--tags", "--long", "--dirty", "--abbrev=40"]], repo, env)
    described = git.outputs[0]
    git_dirty = described.endswith("-dirty")
    git_tag, git_distance, git_node = described.removesuffix("-dirty").rsplit("-", 2)
    want = {
        "tag": spec.expected_tag,
        "distance": spec.expected_distance,
        "node": git_node[1:],
        "dirty": spec.dirty,
    }
    if (git_tag, int(git_distance), git_dirty) != (want["tag"], want["distance"], want["dirty"]):
        problems.append(f"git describe says {described}, the spec {want}")
    scm = measure([[sys.executable, "-m", "setuptools_scm"]], repo, env).outputs[0]
    for state in ("cold", "warm"):
        if state == "cold":
            clear_cache(repo)
        got = json.loads(measure([[*vc, "describe", "--json"]], repo, env).outputs[0])
        mine = {key: got[key] for key in want}
        if mine != want:
            problems.append(f"vcrelease describe ({state} cache) says {mine}, git {want}")
        version = measure([[*vc, "version"]], repo, env).outputs[0]
        if version != scm:
            problems.append(f"vcrelease version ({state}) says {version}, setuptools_scm {scm}")
        if state == "cold":
            clear_cache(repo)
        only = measure([[sys.executable, str(HERE / "describe_only.py")]], repo, env).outputs[0]
        if only != described:
            problems.append(f"describe_only.py ({state}) says {only}, git describe {described}")
    return problems


def run_repo(
    spec: generate.Spec, repo: Path, runs: int, env: dict[str, str], log: Callable[[str], None]
) -> list[Tool]:
    measured = tools()
    for tool in measured:  # warm-up: page cache, .pyc files
        if tool.before:
            tool.before(repo, env)
        measure(tool.commands, repo, env)
    for round_ in range(runs):
        shift = round_ % len(measured)
        for tool in measured[shift:] + measured[:shift]:
            if tool.before:
                tool.before(repo, env)
            tool.samples.append(measure(tool.commands, repo, env))
        log(".")
    for tool in measured:
        outputs = {s.outputs for s in tool.samples}
        if len(outputs) != 1:
            raise RuntimeError(f"{tool.name} printed different results on {spec.name}: {outputs}")
    return measured


def median(tool: Tool) -> float:
    return statistics.median(s.seconds for s in tool.samples)


def peak_mib(tool: Tool) -> float:
    return max(s.max_rss_kib for s in tool.samples) / 1024


@dataclass(frozen=True)
class Row:
    name: str
    medians: dict[str, float]
    peaks: dict[str, float]
    problems: tuple[str, ...]

    @property
    def vs_scm(self) -> float:
        return self.medians["vcrelease"] / self.medians["setuptools_scm"]

    @property
    def vs_git(self) -> float:
        return self.medians["vcrelease"] / self.medians["git"]

    @property
    def warm_vs_scm(self) -> float:
        return self.medians["vcrelease warm"] / self.medians["setuptools_scm"]


def targets(rows: list[Row]) -> list[tuple[bool, str]]:
    """(passed, description) for every version target that the rows cover."""
    out = []
    for row in rows:
        limit = SCM_RATIO_FAR_COLD if row.name == "far" else SCM_RATIO
        out.append(
            (
                row.vs_scm <= limit,
                f"{row.name}: vcrelease / setuptools_scm = {row.vs_scm:.2f} (<= {limit})",
            )
        )
        peak = row.peaks["vcrelease"]
        out.append(
            (peak <= PEAK_MIB, f"{row.name}: vcrelease peak {peak:.0f} MiB (<= {PEAK_MIB:.0f})")
        )
        if row.name in GIT_TARGET_REPOS:
            out.append(
                (
                    row.vs_git <= GIT_RATIO,
                    f"{row.name}: vcrelease / (git describe + git status + python -c pass) = "
                    f"{row.vs_git:.2f} "
                    f"(<= {GIT_RATIO})",
                )
            )
        if row.name == "far":
            out.append(
                (
                    row.warm_vs_scm <= WARM_RATIO,
                    f"far: vcrelease warm cache / setuptools_scm = {row.warm_vs_scm:.2f} "
                    f"(<= {WARM_RATIO})",
                )
            )
        out.append(
            (
                not row.problems,
                f"{row.name}: results equal git's and setuptools_scm's"
                + (f" -- {'; '.join(row.problems)}" if row.problems else ""),
            )
        )
    return out


def _versions() -> str:
    def first_line(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    from importlib.metadata import version

    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = first_line("git", "-C", str(HERE), "rev-parse", "--short=12", "HEAD")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {first_line('git', '--version')}; "
        f"vcrelease {version('vcrelease')} (commit {commit}); dulwich {version('dulwich')}; "
        f"setuptools-scm {version('setuptools-scm')}; vcs-versioning {version('vcs-versioning')}"
    )


def write_results(path: Path, rows: list[Row], specs: dict[str, generate.Spec], quick: bool,
                  runs: int, results: list[tuple[bool, str]], load: str) -> None:  # fmt: skip
    lines = [
        "# Benchmark results" + (" (quick mode: 10 times smaller repositories)" if quick else ""),
        "",
        "Made by `nox -s bench` (`python benchmarks/run.py`); see `benchmarks/README.md`.",
        f"Whole-process wall time, median of {runs} interleaved runs after a warm-up; peak memory",
        "is the largest `ru_maxrss` over the runs (the process and the children it waited for).",
        "`vcrelease` is `vcrelease version` with the describe cache cleared before each run;",
        "`warm` is the same command right after a call that filled the cache. `git` is",
        "`git describe --tags --long --dirty` + `git status --porcelain --untracked-files=no`",
        "+ `python -c pass` (the interpreter's start).",
        "`describe only` is `benchmarks/describe_only.py`: Python's start and the git reading",
        "of `vcrelease version` (cold cache) without its command line, configuration and",
        "version schemes; the difference to `vcrelease` is what those cost.",
        "",
        f"Machine and versions: {_versions()}.",
        "",
        "| repo | commits | files | tags | vcrelease | warm | setuptools_scm | git "
        "| vc / scm | vc / git | warm / scm | describe only | peak MiB vc / warm / scm / git |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        spec = specs[row.name]
        m = row.medians
        p = row.peaks
        lines.append(
            f"| {row.name} | {spec.commits:,} | {spec.files:,} | {spec.tags:,} "
            f"| {m['vcrelease']:.3f} | {m['vcrelease warm']:.3f} | {m['setuptools_scm']:.3f} "
            f"| {m['git']:.3f} | {row.vs_scm:.2f} | {row.vs_git:.2f} | {row.warm_vs_scm:.2f} "
            f"| {m['describe only']:.3f} "
            f"| {p['vcrelease']:.0f} / {p['vcrelease warm']:.0f} / {p['setuptools_scm']:.0f} "
            f"/ {p['git']:.0f} |"
        )
    lines += ["", f"Times in seconds. Load average (1 min) before / after: {load}.", ""]
    lines += ["## Targets", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'} {text}" for ok, text in results]
    passed = sum(ok for ok, _ in results)
    lines += ["", f"{passed} of {len(results)} targets pass.", ""]
    path.write_text("\n".join(lines) + _upload_section(path), encoding="utf-8")


def _upload_section(path: Path) -> str:
    """The upload benchmark's section of ``path`` (``benchmarks/upload.py`` writes it), kept
    when this table is rewritten; empty when there is none."""
    marker = "## Upload"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    start = old.find(marker)
    if start < 0:
        return ""
    end = old.find("\n## ", start + len(marker))
    return "\n" + old[start : end + 1 if end >= 0 else len(old)]


MONO_PATHS = (".", "../shared")


def mono_tools() -> list[Tool]:
    """The tools of a monorepo repository, run in ``pkg-00`` (see the module docstring)."""
    vc = _vcrelease_command()
    tag = f"{generate.MONO_PROJECT}-v1.0.0"

    def cold(project: Path, env: dict[str, str]) -> None:
        clear_cache(project.parent)

    return [
        Tool("vcrelease", [[*vc, "version"]], cold),
        Tool("setuptools_scm", [[sys.executable, "-m", "setuptools_scm", "-c", "scm.toml"]]),
        Tool(
            "git",
            [
                ["git", "describe", "--tags", "--long", "--dirty", "--match", "pkg-00-v*"],
                ["git", "rev-list", "--count", "--full-history", f"{tag}..HEAD", "--", *MONO_PATHS],
                ["git", "status", "--porcelain", "--untracked-files=no", "--", *MONO_PATHS],
                [sys.executable, "-c", "pass"],
            ],
        ),
    ]


def mono_check(project: Path, env: dict[str, str]) -> list[str]:
    """Differences between vcrelease, git's scoped count and setuptools-scm's version."""
    problems = []
    vc = _vcrelease_command()
    tag = f"{generate.MONO_PROJECT}-v1.0.0"
    count = int(
        measure(
            [["git", "rev-list", "--count", "--full-history", f"{tag}..HEAD", "--", *MONO_PATHS]],
            project,
            env,
        ).outputs[0]
    )
    clear_cache(project.parent)
    got = json.loads(measure([[*vc, "describe", "--json"]], project, env).outputs[0])
    if (got["tag"], got["distance"]) != (tag, count):
        problems.append(f"vcrelease describe says {got['tag']} {got['distance']}, git {count}")
    scm = measure(
        [[sys.executable, "-m", "setuptools_scm", "-c", "scm.toml"]], project, env
    ).outputs[0]
    version = measure([[*vc, "version"]], project, env).outputs[0]
    if version != scm:
        problems.append(f"vcrelease version says {version}, setuptools_scm {scm}")
    return problems


def run_monorepo(
    spec: generate.MonoSpec, runs: int, quick: bool, env: dict[str, str]
) -> tuple[Row, str]:
    """Check and time one monorepo repository: (its row, a line of details)."""
    project = generate.ensure(spec, quick) / generate.MONO_PROJECT
    problems = mono_check(project, env)
    measured = mono_tools()
    for tool in measured:
        if tool.before:
            tool.before(project, env)
        measure(tool.commands, project, env)
    for round_ in range(runs):
        shift = round_ % len(measured)
        for tool in measured[shift:] + measured[:shift]:
            if tool.before:
                tool.before(project, env)
            tool.samples.append(measure(tool.commands, project, env))
    row = Row(
        spec.name,
        {t.name: median(t) for t in measured},
        {t.name: peak_mib(t) for t in measured},
        tuple(problems),
    )
    return row, measured[2].samples[0].outputs[1]


def mono_targets(rows: list[Row]) -> list[tuple[bool, str]]:
    """The version targets, on a monorepo project with ``distance-scope``."""
    out = []
    for row in rows:
        out.append(
            (
                row.vs_scm <= SCM_RATIO,
                f"{row.name}: vcrelease / setuptools_scm (distance_scope) = {row.vs_scm:.2f} "
                f"(<= {SCM_RATIO})",
            )
        )
        out.append(
            (
                row.vs_git <= GIT_RATIO,
                f"{row.name}: vcrelease / (git describe + git rev-list -- PATHS + git status "
                f"-- PATHS + python -c pass) = {row.vs_git:.2f} (<= {GIT_RATIO})",
            )
        )
        peak = row.peaks["vcrelease"]
        out.append(
            (peak <= PEAK_MIB, f"{row.name}: vcrelease peak {peak:.0f} MiB (<= {PEAK_MIB:.0f})")
        )
        out.append(
            (
                not row.problems,
                f"{row.name}: distance equals git rev-list's scoped count, version "
                "setuptools-scm's" + (f" -- {'; '.join(row.problems)}" if row.problems else ""),
            )
        )
    return out


def mono_table(rows: list[Row], specs: dict[str, generate.MonoSpec], runs: int) -> list[str]:
    """The monorepo section of the results (Markdown lines)."""
    lines = [
        "## Monorepo: `distance-scope`",
        "",
        'In `pkg-00` (`distance-scope = [".", "../shared"]`), the tag 2,000 commits back. '
        "`setuptools_scm` is `python -m setuptools_scm -c scm.toml` with "
        "`scm.git.distance_scope`; `git` is `git describe --match` + `git rev-list --count "
        "--full-history TAG..HEAD -- . ../shared` + `git status --porcelain -- . ../shared` + "
        f"`python -c pass`. Medians of {runs} runs.",
        "",
        "| repo | commits | commit-graph | vcrelease | setuptools_scm | git | vc / scm | vc / git "
        "| peak MiB vc / scm / git |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        spec = specs[row.name]
        m, p = row.medians, row.peaks
        graph = "with `--changed-paths`" if spec.graph else "none"
        lines.append(
            f"| {row.name} | {spec.commits:,} | {graph} | {m['vcrelease']:.3f} "
            f"| {m['setuptools_scm']:.3f} | {m['git']:.3f} | {row.vs_scm:.2f} | {row.vs_git:.2f} "
            f"| {p['vcrelease']:.0f} / {p['setuptools_scm']:.0f} / {p['git']:.0f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time vcrelease against setuptools_scm and git.")
    parser.add_argument("--quick", action="store_true", help="10 times smaller repositories")
    parser.add_argument("--runs", type=int, default=None, help="timed rounds (default 7, quick 5)")
    parser.add_argument("--only", default="", help="comma-separated repository names")
    parser.add_argument("--output", type=Path, default=None, help="where to write the table")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 7)
    if runs < 5:
        parser.error("--runs must be at least 5 (the medians need them)")
    only = {name for name in args.only.split(",") if name}
    chosen = [s for s in generate.specs(args.quick) if not only or s.name in only]
    mono = [s for s in generate.monorepo_specs(args.quick) if not only or s.name in only]
    if not chosen and not mono:
        parser.error(f"--only {args.only!r} names no repository")
    env = _env()
    load_before = os.getloadavg()[0]
    rows = []
    for spec in chosen:
        repo = generate.ensure(spec, args.quick)
        print(f"{spec.name}: checking", end="", flush=True)
        problems = check(spec, repo, env)
        print(", timing", end="", flush=True)
        measured = run_repo(spec, repo, runs, env, lambda s: print(s, end="", flush=True))
        row = Row(
            spec.name,
            {t.name: median(t) for t in measured},
            {t.name: peak_mib(t) for t in measured},
            tuple(problems),
        )
        rows.append(row)
        print(
            f" vcrelease {row.medians['vcrelease']:.3f} s, warm {row.medians['vcrelease warm']:.3f}"
            f" s, setuptools_scm {row.medians['setuptools_scm']:.3f} s, git "
            f"{row.medians['git']:.3f} s" + ("" if not problems else f"; PROBLEMS: {problems}"),
            flush=True,
        )
    mono_rows = []
    for mono_spec in mono:
        print(f"{mono_spec.name}: checking and timing", end="", flush=True)
        row, scoped = run_monorepo(mono_spec, runs, args.quick, env)
        mono_rows.append(row)
        print(
            f" (scoped distance {scoped}) vcrelease {row.medians['vcrelease']:.3f} s, "
            f"setuptools_scm {row.medians['setuptools_scm']:.3f} s, git "
            f"{row.medians['git']:.3f} s" + (f"; PROBLEMS: {row.problems}" if row.problems else ""),
            flush=True,
        )
    results = targets(rows) + mono_targets(mono_rows)
    output = args.output or (
        generate.bench_dir(True) / "results-quick.md" if args.quick else HERE / "results.md"
    )
    load = f"{load_before:.2f} / {os.getloadavg()[0]:.2f}"
    write_results(output, rows, {s.name: s for s in chosen}, args.quick, runs, results, load)
    if mono_rows:
        text = output.read_text(encoding="utf-8")
        section = mono_table(mono_rows, {s.name: s for s in mono}, runs)
        head, sep, tail = text.partition("## Targets")
        if not rows:  # only monorepo repositories: no empty table of the others
            head = (
                "# Benchmark results: monorepo"
                + (" (quick mode: 10 times smaller repositories)" if args.quick else "")
                + "\n\nMade by `python benchmarks/run.py --only monorepo,monorepo-graph`; see "
                "`benchmarks/README.md`. Whole-process wall time; peak memory is the largest "
                "`ru_maxrss` over the runs.\n\n"
                f"Machine and versions: {_versions()}.\n\nLoad average (1 min) before / after: "
                f"{load}: other work on the machine skews the medians.\n\n"
            )
        output.write_text(head + "\n".join(section) + "\n\n" + sep + tail, encoding="utf-8")
    print()
    for ok, text in results:
        print(f"{'PASS' if ok else 'FAIL'} {text}")
    print(f"\nload average {load}; wrote {output}")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
