"""vcrelease as a drop-in for setuptools-scm and hatch-vcs, on real projects.

For each git clone given (a setuptools + setuptools-scm project without ``MANIFEST.in``, or a
hatchling + hatch-vcs project), two variants are prepared as a user would:

- **original**: the project as it is. When ``--drop-requirement`` edits its build
  requirements (one that needs more than PyPI), that edit is committed first, so the
  original build runs on a clean tree at commit B (B = C, the clone's HEAD, when nothing was
  dropped; B = C + 1 otherwise);
- **vcrelease**: the original switched by ``vcrelease migrate --write --drop-unsupported``
  (this checkout's), and that edit committed: commit C' = B + 1.

Commits are made with a fixed identity and date, so C' is the same in every run. Then:

1. the file finders (setuptools only): setuptools-scm's git finder (``git ls-files``) vs
   vcrelease's (:func:`vcrelease.integrations.filefinder.tracked_files_below`), on C;
2. ``python -m build --sdist --wheel`` of each variant, both artifacts from the tree, in
   isolation; vcrelease comes from a wheel of this checkout through ``PIP_FIND_LINKS``, and
   the old plugin is not in the vcrelease build's environment;
3. the sdists' and wheels' members compared (``*.egg-info/`` and ``*.dist-info/`` apart; the
   dist-info files and RECORD are compared separately, and members whose bytes differ are
   listed);
4. per variant and installer (``pip install -e``, and ``uv pip install -e`` when uv is
   importable), a fresh clone and a fresh venv, then the project's own version command.

The rule checked for every vcrelease version: it is the original's version at B with the
distance one higher and the node (``+g<hash>``, when the local scheme keeps it) C''s.

Writes ``docs/dropin.md`` (``--out``). Needs the network for PyPI. Usage::

    python scripts/compare_dropin.py /tmp/twine /tmp/zipp /tmp/pytest-xdist /tmp/hatch \\
        --drop-requirement coherent.licensed
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

#: The project's own command printing its version, run in the venv's ``bin`` (``{bin}``).
VERSION_COMMANDS = {
    "twine": ["{bin}/twine", "--version"],
    "zipp": [
        "{bin}/python",
        "-c",
        "import zipp, importlib.metadata as m; print(m.version('zipp'))",
    ],
    "pytest-xdist": ["{bin}/python", "-c", "import xdist; print(xdist.__version__)"],
    "hatch": ["{bin}/hatch", "--version"],
    "pytest": ["{bin}/pytest", "--version"],
}
_VERSION_WORD = re.compile(r"\b(\d+(?:\.\d+)+(?:[a-z0-9.+]*[a-z0-9])?)")
_EGG = re.compile(r"(?:.*/)?[^/]*\.egg-info/")
_DIST_INFO = re.compile(r"^[^/]+\.dist-info/")
_DATA = re.compile(r"^[^/]+\.data/")  # PEP 427 ``{name}-{version}.data/``: named as ``*.data/``
_COMMIT_ENV = {
    "GIT_AUTHOR_NAME": "compare_dropin",
    "GIT_AUTHOR_EMAIL": "compare_dropin@example.invalid",
    "GIT_COMMITTER_NAME": "compare_dropin",
    "GIT_COMMITTER_EMAIL": "compare_dropin@example.invalid",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} (in {cwd}) exited {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def out(*args: str, cwd: Path) -> str:
    return run(*args, cwd=cwd).stdout.strip()


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without settings that would change what is compared."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VCRELEASE_", "SETUPTOOLS_SCM_", "GIT_", "UV_", "VIRTUAL_ENV"))
        and k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")
    }
    return {**env, **extra}


def commit_all(repo: Path, message: str) -> str:
    """Commit every change, one second after HEAD, as a fixed identity: a stable id."""
    seconds = int(out("git", "log", "-1", "--format=%ct", cwd=repo)) + 1
    date = f"@{seconds} +0000"
    env = clean_env(**_COMMIT_ENV, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    run("git", "add", "-A", cwd=repo)
    args = ("git", "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message)
    run(*args, cwd=repo, env=env)
    return out("git", "rev-parse", "HEAD", cwd=repo)


def finder_lists(project: Path) -> tuple[list[str], list[str]]:
    from vcs_versioning._file_finders._git import git_find_files

    from vcrelease.integrations.filefinder import tracked_files_below

    here = Path.cwd()
    os.chdir(project)
    try:
        return sorted(git_find_files("")), sorted(tracked_files_below(""))
    finally:
        os.chdir(here)


def drop_requirements(project: Path, names: list[str]) -> bool:
    """Remove build requirements that need more than PyPI (zipp's ``coherent.licensed``
    downloads a license text); True when the file changed."""
    path = project / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    new = text
    for name in names:
        new = re.sub(rf'\s*"{re.escape(name)}[^"]*",?', "", new)
    path.write_text(new, encoding="utf-8")
    return new != text


def migrate(project: Path) -> list[str]:
    """``vcrelease migrate --write --drop-unsupported`` of this checkout; the settings it
    dropped (its stderr lines)."""
    env = clean_env(PYTHONPATH=str(ROOT / "src"))
    args = (sys.executable, "-m", "vcrelease", "migrate", str(project), "--write")
    done = run(*args, "--drop-unsupported", cwd=project, env=env)
    marker = "no equivalent for "
    return [line.split(marker, 1)[1] for line in done.stderr.splitlines() if marker in line]


def build(project: Path, dest: Path, env: dict[str, str]) -> tuple[Path, Path, str]:
    """(sdist, wheel, build log) of ``python -m build --sdist --wheel`` (both from the tree)."""
    args = (sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dest))
    done = run(*args, str(project), cwd=project, env=env)
    (sdist,) = dest.glob("*.tar.gz")
    (wheel,) = dest.glob("*.whl")
    return sdist, wheel, done.stdout + done.stderr


def wheel_from_sdist(sdist: Path, dest: Path, env: dict[str, str]) -> Path:
    """The wheel ``python -m build --wheel`` makes from the unpacked sdist (no git there)."""
    unpacked = dest / "unpacked"
    with tarfile.open(sdist) as tar:
        tar.extractall(unpacked, filter="data")
    (project,) = unpacked.iterdir()
    args = (sys.executable, "-m", "build", "--wheel", "--outdir", str(dest), str(project))
    run(*args, cwd=dest, env=env)
    (wheel,) = dest.glob("*.whl")
    return wheel


def same_wheels(a: Path, b: Path) -> tuple[str, dict[str, str]]:
    """``same`` when two wheels have the same file names and members, else what differs;
    and the diffs of the members (RECORD apart) that differ."""
    if a.name != b.name:
        return f"NO: {a.name} / {b.name}", {}
    left, right = wheel_members(a), wheel_members(b)
    differ = sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))
    if not differ:
        return "same", {}
    diffs = {
        k: _unified(k, left.get(k, b""), right.get(k, b"")).replace("original/", "tree/")
        for k in differ
        if not k.endswith(".dist-info/RECORD")
    }
    return "differs: " + ", ".join(f"`{k}`" for k in differ), {
        k: v.replace("vcrelease/", "from-sdist/") for k, v in diffs.items()
    }


def installed_requirements(build_log: str) -> list[str]:
    """The requirements ``python -m build`` says it installed into its isolated envs."""
    found: set[str] = set()
    listing = False
    for line in build_log.splitlines():
        if "Installing packages in isolated environment" in line:
            listing = True
        elif listing and (item := re.match(r"\s+- (\S.*)$", line)):
            found.add(item.group(1))
        else:
            listing = False
    return sorted(found)


def sdist_members(path: Path) -> dict[str, bytes]:
    """An sdist's files (names without the top directory) and their bytes."""
    with tarfile.open(path) as tar:
        members = {}
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                members[member.name.split("/", 1)[1]] = handle.read()
        return members


def wheel_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as whl:
        return {
            _DATA.sub("*.data/", name): whl.read(name)
            for name in whl.namelist()
            if not name.endswith("/")
        }


def artifact_version(path: Path) -> str:
    """The version in an sdist's or a wheel's file name."""
    stem = path.name.removesuffix(".tar.gz").removesuffix(".whl")
    return stem.split("-")[1]


def expected_version(original: str, node: str) -> str | None:
    """The rule: ``original`` with the distance one higher and the node ``node``.

    ``1.2.1.dev7+gf536ac5d0`` -> ``1.2.1.dev8+g<node[:9]>``; ``1.18.1.dev1`` (no local
    version) -> ``1.18.1.dev2``. None when ``original`` has no ``.devN`` (a tag release:
    the next version depends on the scheme).
    """
    match = re.fullmatch(r"(?P<public>.*\.dev)(?P<n>\d+)(?:\+(?P<local>.*))?", original)
    if match is None:
        return None
    version = f"{match['public']}{int(match['n']) + 1}"
    local = match["local"]
    if local:
        old = re.match(r"g([0-9a-f]+)", local)
        if old:
            local = "g" + node[: len(old.group(1))] + local[old.end() :]
        version += f"+{local}"
    return version


def record(members: dict[str, bytes]) -> dict[str, str]:
    """A wheel's RECORD: path (dist-info directory as ``*.dist-info``) -> hash."""
    (name,) = [m for m in members if re.fullmatch(r"[^/]+\.dist-info/RECORD", m)]
    rows = csv.reader(io.StringIO(members[name].decode()))
    return {
        _DATA.sub("*.data/", _DIST_INFO.sub("*.dist-info/", row[0])): row[1] for row in rows if row
    }


def compare_wheels(
    scm: dict[str, bytes], ours: dict[str, bytes], versions: tuple[str, str]
) -> dict[str, object]:
    """Members outside dist-info (only in one, bytes differ), then dist-info apart."""
    plain_scm = {k: v for k, v in scm.items() if not _DIST_INFO.match(k)}
    plain_ours = {k: v for k, v in ours.items() if not _DIST_INFO.match(k)}
    info_scm = {_DIST_INFO.sub("", k): v for k, v in scm.items() if _DIST_INFO.match(k)}
    info_ours = {_DIST_INFO.sub("", k): v for k, v in ours.items() if _DIST_INFO.match(k)}
    rec_scm, rec_ours = record(scm), record(ours)
    metadata = [
        line
        for line in _line_diff(info_scm.get("METADATA", b""), info_ours.get("METADATA", b""))
        if not re.match(r"[-+] Version: ", line)
    ]
    bytes_differ = sorted(
        k for k in plain_scm.keys() & plain_ours.keys() if plain_scm[k] != plain_ours[k]
    )
    record_differ = sorted(
        k
        for k in rec_scm.keys() | rec_ours.keys()
        if rec_scm.get(k) != rec_ours.get(k) and k != "*.dist-info/RECORD"
    )
    info_differ = sorted(
        k for k in info_scm.keys() & info_ours.keys() if info_scm[k] != info_ours[k]
    )
    # RECORD is explained when it differs exactly where the files differ.
    explained = set(record_differ) == set(bytes_differ) | {
        f"*.dist-info/{k}" for k in info_differ if k != "RECORD"
    }
    return {
        "count": f"{len(plain_scm)} / {len(plain_ours)}",
        "only_scm": sorted(plain_scm.keys() - plain_ours.keys()),
        "only_ours": sorted(plain_ours.keys() - plain_scm.keys()),
        "bytes_differ": bytes_differ,
        "diffs": {k: _unified(k, plain_scm[k], plain_ours[k]) for k in bytes_differ},
        "reasons": {
            **{k: reason(k, plain_scm[k], plain_ours[k], versions) for k in bytes_differ},
            **{
                f"*.dist-info/{k}": reason(k, info_scm[k], info_ours[k], versions)
                for k in info_differ
                if k != "RECORD"
            },
        },
        "info_only_scm": sorted(info_scm.keys() - info_ours.keys()),
        "info_only_ours": sorted(info_ours.keys() - info_scm.keys()),
        "info_differ": info_differ,
        "metadata_other": metadata,
        "record_differ": record_differ,
        "record_explained": explained,
    }


def _normalise(text: str, version: str) -> str:
    """A version file with its version, tuple, commit id and tool comment made placeholders."""
    from vcrelease.version.versionfile import version_tuple

    text = re.sub(r"^# file generated by .*", "# file generated by <tool>", text, count=1)
    text = text.replace(repr(version), "<version>")
    text = text.replace(repr(version_tuple(version)), "<tuple>")
    return re.sub(r"'g[0-9a-f]{7,40}'", "<commit>", text)


def reason(member: str, a: bytes, b: bytes, versions: tuple[str, str]) -> tuple[str, bool]:
    """Why ``member`` differs between the original's (``a``) and vcrelease's (``b``)
    artifacts, and whether that is an expected difference."""
    if member == "pyproject.toml":
        return "the migration edit itself (build requirement, `[tool.vcrelease]`)", True
    if member.rsplit("/", 1)[-1] in ("PKG-INFO", "METADATA"):
        other = [line for line in _line_diff(a, b) if not re.match(r"[-+] Version: ", line)]
        if not other:
            return "the `Version:` line only", True
        quoted = a.decode(errors="replace").replace(versions[0], "<version>")
        if quoted == b.decode(errors="replace").replace(versions[1], "<version>"):
            return (
                "the `Version:` line and the version quoted in the long description "
                "(a readme plugin such as hatch-fancy-pypi-readme writes it there)",
                True,
            )
        return "other lines differ: " + "; ".join(other), False
    try:
        left, right = _normalise(a.decode(), versions[0]), _normalise(b.decode(), versions[1])
    except UnicodeDecodeError:
        return "binary content differs", False
    if left == right:
        return (
            "the version file: its version, version tuple and commit id, and its first "
            "comment line (`generated by vcs-versioning` / `by vcrelease`) only",
            True,
        )
    if left.replace("commit_id = None", "commit_id = <commit>") == right:
        return (
            "the version file: its version, version tuple and first comment line, and "
            "`commit_id`: hatch-vcs writes `None` (its build hook calls setuptools-scm's "
            "`dump_version` with the version alone), vcrelease the commit",
            True,
        )
    return "UNEXPLAINED (diff below)", False


def _unified(name: str, a: bytes, b: bytes) -> str:
    lines = difflib.unified_diff(
        a.decode(errors="replace").splitlines(),
        b.decode(errors="replace").splitlines(),
        f"original/{name}",
        f"vcrelease/{name}",
        n=0,
        lineterm="",
    )
    return "\n".join(lines)


def _line_diff(a: bytes, b: bytes) -> list[str]:
    left, right = a.decode().splitlines(), b.decode().splitlines()
    return [f"- {x}" for x in left if x not in right] + [f"+ {x}" for x in right if x not in left]


def uv_command() -> list[str] | None:
    found = shutil.which("uv")
    if found:
        return [found]
    done = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    return [sys.executable, "-m", "uv"] if done.returncode == 0 else None


def editable(
    source: Path, name: str, dest: Path, installer: str, wheelhouse: Path
) -> tuple[str, str, str]:
    """A fresh clone of ``source`` installed editable into a fresh venv by ``installer``,
    then the project's own version command: (version it printed, its output, ``git status
    --porcelain`` of the clone afterwards)."""
    clone = dest / "src"
    run("git", "clone", "-q", "--local", str(source), str(clone), cwd=dest.parent)
    venv = dest / "venv"
    links = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS")]))
    if installer == "pip":
        run(sys.executable, "-m", "venv", str(venv), cwd=dest, env=clean_env())
        env = clean_env(PIP_FIND_LINKS=links)
        run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(clone),
            cwd=dest, env=env)  # fmt: skip
    else:
        uv = uv_command()
        assert uv is not None
        env = clean_env(UV_FIND_LINKS=str(wheelhouse))
        run(*uv, "venv", "-q", "--python", sys.executable, str(venv), cwd=dest, env=env)
        run(*uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
            "-e", str(clone), cwd=dest, env=env)  # fmt: skip
    command = VERSION_COMMANDS.get(
        name,
        ["{bin}/python", "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
    )
    args = [word.replace("{bin}", str(venv / "bin")) for word in command]
    done = run(*args, cwd=dest, env=clean_env(), check=False)
    text = (done.stdout + done.stderr).strip()
    found = _VERSION_WORD.search(done.stdout) if done.returncode == 0 else None
    status = out("git", "status", "--porcelain", "--untracked-files=all", cwd=clone)
    return (found.group(1) if found else "FAILED"), text, status


def compare(clone: Path, wheelhouse: Path, work: Path, drop: list[str]) -> dict[str, object]:
    name = clone.name
    data = tomllib.loads((clone / "pyproject.toml").read_text(encoding="utf-8"))
    backend = str(data.get("build-system", {}).get("build-backend", ""))
    hatch = backend.startswith("hatchling")
    row: dict[str, object] = {"project": name, "backend": backend.split(".")[0]}
    row["commit"] = out("git", "rev-parse", "--short=9", "HEAD", cwd=clone)
    if not hatch:
        scm_files, our_files = finder_lists(clone)
        row["finder"] = f"{len(scm_files)} / {len(our_files)}"
        row["finder_same"] = "yes" if scm_files == our_files else "NO"
    else:
        row["finder"], row["finder_same"] = "n/a (hatchling)", "n/a"

    base, migrated = work / f"{name}-original", work / f"{name}-vcrelease"
    run("git", "clone", "-q", "--local", str(clone), str(base), cwd=work)
    dropped_reqs = drop_requirements(base, drop)
    if dropped_reqs:
        commit_all(base, "compare_dropin: drop build requirements that need more than PyPI")
    row["baseline"] = out("git", "rev-parse", "--short=9", "HEAD", cwd=base)
    row["baseline_note"] = "C + 1 (requirement edit committed)" if dropped_reqs else "C"
    run("git", "clone", "-q", "--local", str(base), str(migrated), cwd=work)
    row["migrate_dropped"] = migrate(migrated)
    node = commit_all(migrated, "Switch to vcrelease (vcrelease migrate --write)")
    row["migrated"] = node[:9]

    env = clean_env(
        PIP_FIND_LINKS=" ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS")]))
    )
    artifacts = {}
    for variant, source in (("scm", base), ("ours", migrated)):
        tree = work / f"{name}-build-{variant}"
        run("git", "clone", "-q", "--local", str(source), str(tree), cwd=work)
        log(f"{name}: python -m build ({variant})")
        artifacts[variant] = build(tree, work / f"{name}-dist-{variant}", env)
        log(f"{name}: python -m build --wheel from the sdist ({variant})")
        from_sdist = work / f"{name}-from-sdist-{variant}"
        from_sdist.mkdir()
        wheel2 = wheel_from_sdist(artifacts[variant][0], from_sdist, env)
        same, diffs = same_wheels(artifacts[variant][1], wheel2)
        row[f"from_sdist_{variant}"] = same
        row[f"from_sdist_diffs_{variant}"] = diffs
    (scm_sdist, scm_wheel, _), (our_sdist, our_wheel, our_log) = artifacts["scm"], artifacts["ours"]
    row["requires_ours"] = installed_requirements(our_log)
    version_scm, version_ours = artifact_version(scm_sdist), artifact_version(our_sdist)
    expected = expected_version(version_scm, node)
    row.update(
        version_scm=version_scm,
        version_ours=version_ours,
        expected=expected or "none (original is a release)",
        as_expected="yes" if expected == version_ours else "NO",
        wheel_versions_match=(
            artifact_version(scm_wheel) == version_scm
            and artifact_version(our_wheel) == version_ours
        ),
    )
    scm_members, our_members = sdist_members(scm_sdist), sdist_members(our_sdist)
    row["sdist_count"] = f"{len(scm_members)} / {len(our_members)}"
    row["sdist_only_scm"] = sorted(m for m in scm_members.keys() - our_members if not _EGG.match(m))
    row["sdist_only_ours"] = sorted(
        m for m in our_members.keys() - scm_members if not _EGG.match(m)
    )
    row["egg_info_diff"] = sorted(m for m in scm_members.keys() ^ our_members if _EGG.match(m))
    row["sdist_bytes_differ"] = sorted(
        m
        for m in scm_members.keys() & our_members.keys()
        if scm_members[m] != our_members[m] and not _EGG.match(m)
    )
    row["wheel_names"] = f"{scm_wheel.name} / {our_wheel.name}"
    row["sdist_reasons"] = {
        m: reason(m, scm_members[m], our_members[m], (version_scm, version_ours))
        for m in row["sdist_bytes_differ"]  # type: ignore[attr-defined]
    }
    row["wheel"] = compare_wheels(
        wheel_members(scm_wheel), wheel_members(our_wheel), (version_scm, version_ours)
    )

    installers = ["pip"] + (["uv"] if uv_command() else [])
    edits = []
    for installer in installers:
        printed = {}
        for variant, source in (("scm", base), ("ours", migrated)):
            log(f"{name}: {installer} install -e ({variant})")
            dest = work / f"{name}-edit-{installer}-{variant}"
            dest.mkdir()
            printed[variant] = editable(source, name, dest, installer, wheelhouse)
            log(f"{name}: {installer} {variant}: {printed[variant][1][:200]!r}")
        want = expected_version(printed["scm"][0], node)
        edits.append(
            {
                "installer": "pip install -e ." if installer == "pip" else "uv pip install -e .",
                "status": (printed["scm"][2], printed["ours"][2]),
                "scm": printed["scm"][0],
                "ours": printed["ours"][0],
                "expected": want or "none",
                "as_expected": "yes" if want == printed["ours"][0] else "NO",
                "same_as_build": printed["scm"][0] == version_scm
                and printed["ours"][0] == version_ours,
                "outputs": (printed["scm"][1], printed["ours"][1]),
            }
        )
    row["editable"] = edits
    return row


def _status(porcelain: str) -> str:
    """``git status --porcelain`` lines, each ``*.egg-info/`` directory as one entry."""
    if not porcelain:
        return "clean"
    entries: dict[str, int] = {}
    for line in porcelain.splitlines():
        egg = _EGG.match(line[3:])
        key = f"{line[:3]}{egg.group(0)}" if egg else line
        entries[key] = entries.get(key, 0) + 1
    return ", ".join(f"`{k}` ({n} files)" if n > 1 else f"`{k}`" for k, n in entries.items())


def _names(items: object) -> str:
    assert isinstance(items, list)
    return ", ".join(f"`{i}`" for i in items) or "none"


def document(rows: list[dict[str, object]]) -> str:
    lines = [
        "# vcrelease as a drop-in for setuptools-scm and hatch-vcs: real projects",
        "",
        "Written by `scripts/compare_dropin.py` (do not edit by hand). Each project (a clone",
        "at commit C) is built and installed twice, as a user would switch:",
        "",
        "- **original** (setuptools-scm or hatch-vcs): the project as it is, at commit B. B is",
        "  C, or C + 1 when a build requirement that needs more than PyPI was removed",
        "  (`--drop-requirement`, zipp's `coherent.licensed`): that edit is committed, so the",
        "  original build runs on a clean tree;",
        "- **vcrelease**: B switched by `vcrelease migrate --write --drop-unsupported` and that",
        "  edit committed (fixed identity and date): commit C' = B + 1, a clean tree.",
        "",
        "**The version rule** (checked, column \"as expected\"): vcrelease's version at C' is",
        "the original's version at B with the distance one higher and the node `+g<hash>` C''s",
        "(when the local scheme writes one): `7.0.1.dev7+gf536ac5d0` -> `7.0.1.dev8+g<C'>`,",
        "`1.18.1.dev1` (hatch's `no-local-version`) -> `1.18.1.dev2`. Everything else (the",
        "version scheme, the tag chosen) must be the same.",
        "",
        "Builds are `python -m build --sdist --wheel` (both from the tree) in isolation; the",
        "vcrelease builds get vcrelease from a wheel of this checkout (`PIP_FIND_LINKS`), and",
        "setuptools-scm / hatch-vcs are not in their environments. Editable installs are a",
        "fresh clone and a fresh venv each (`pip install -e .`, `uv pip install -e .`), then",
        "the project's own version command.",
        "",
        "## Versions and sdists",
        "",
        "The finder column compares the setuptools file finders directly on C",
        "(setuptools-scm's `git ls-files` vs vcrelease's index reader; hatchling selects files",
        "itself). The sdist columns list the files only one sdist has and the files whose bytes",
        "differ (`*.egg-info/` apart, listed in the last column).",
        "",
        "| project | C | B / C' | finder files: scm / vcrelease (same) | original version "
        "(B) | vcrelease version (C') | as expected | sdist files: original / vcrelease | "
        "only in original's | only in vcrelease's | bytes differ | egg-info differences | "
        "vcrelease build installed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        same = "" if r["finder_same"] == "n/a" else f" ({r['finder_same']})"
        lines.append(
            f"| {r['project']} ({r['backend']}) | {r['commit']} | {r['baseline']} "
            f"({r['baseline_note']}) / {r['migrated']} | {r['finder']}{same} "
            f"| {r['version_scm']} | {r['version_ours']} | {r['as_expected']} "
            f"| {r['sdist_count']} | {_names(r['sdist_only_scm'])} "
            f"| {_names(r['sdist_only_ours'])} | {_names(r['sdist_bytes_differ'])} "
            f"| {_names(r['egg_info_diff'])} | {_names(r['requires_ours'])} |"
        )
    lines += [
        "",
        "The egg-info differences are setuptools-scm's own records, which vcrelease does not",
        "write: `scm_version.json` (the tag, distance, node and dirty state it computed) and",
        "`scm_file_list.json` (the git file list). vcrelease needs neither: an sdist's",
        "version is in its `PKG-INFO`, and its file list in `SOURCES.txt` (what the file",
        "finder returns for an sdist rebuilt from an sdist). The sdist counts include those",
        "two files. The last column is what `python -m build` installed for the vcrelease",
        "build (vcs-versioning comes in as vcrelease's dependency; it registers no setuptools",
        "file finder, setuptools-scm does).",
        "",
        "## Wheels",
        "",
        "Members outside `*.dist-info/` are compared by name and bytes. The dist-info",
        "directories are compared apart (their names differ with the version): the files only",
        "one has, the files whose bytes differ, the METADATA lines that differ other than",
        "`Version:`, and the RECORD entries (dist-info directory name normalised) whose hash",
        'or size differs; "explained" when those are exactly the files that differ.',
        "",
        "| project | wheels: original / vcrelease | files (no dist-info): original / vcrelease "
        "| only in original's | only in vcrelease's | bytes differ | dist-info files only in "
        "one | dist-info files that differ | METADATA lines other than Version | RECORD "
        "entries that differ (explained) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        w = r["wheel"]
        assert isinstance(w, dict)
        lines.append(
            f"| {r['project']} | {r['wheel_names']} | {w['count']} | {_names(w['only_scm'])} "
            f"| {_names(w['only_ours'])} | {_names(w['bytes_differ'])} "
            f"| {_names(w['info_only_scm'] + w['info_only_ours'])} "
            f"| {_names(w['info_differ'])} | {_names(w['metadata_other'])} "
            f"| {_names(w['record_differ'])} ({'yes' if w['record_explained'] else 'NO'}) |"
        )
    lines += [
        "",
        "Each variant's wheel was also built from its sdist (unpacked, no git: the version",
        "comes from `PKG-INFO`) with `python -m build --wheel`, and compared with the wheel",
        "built from the tree, member by member and byte for byte:",
        "",
        "| project | original: wheel from the sdist | vcrelease: wheel from the sdist |",
        "|---|---|---|",
    ]
    lines += [f"| {r['project']} | {r['from_sdist_scm']} | {r['from_sdist_ours']} |" for r in rows]
    for r in rows:
        for variant, label in (("scm", "original"), ("ours", "vcrelease")):
            changed = r[f"from_sdist_diffs_{variant}"]
            assert isinstance(changed, dict)
            for member, diff in changed.items():
                lines += [
                    "",
                    f"{r['project']}, {label}, `{member}` (tree -> from the sdist):",
                    "",
                    "```diff",
                    diff,
                    "```",
                ]
    if any(r["from_sdist_diffs_scm"] for r in rows):
        lines += [
            "",
            "setuptools-scm builds the wheel from the sdist with the version from `PKG-INFO`,",
            "which holds no commit, so its version file says `commit_id = None` there (RECORD",
            "differs with it); vcrelease keeps the commit id the sdist's version file states",
            "when that file states the same version, so its two wheels are identical.",
        ]
    lines += [
        "",
        "## Every difference and its reason",
        "",
        "Each member whose bytes differ (sdist: `*.egg-info/` apart; wheel: dist-info",
        "included, RECORD apart, see its column above), with the reason the script checked:",
        "a version file must be equal once its version, version tuple, commit id and first",
        "comment line are set aside; PKG-INFO and METADATA must differ in `Version:` only.",
        "",
        "| project | artifact | member | reason | expected |",
        "|---|---|---|---|---|",
    ]
    diffs: list[str] = []
    for r in rows:
        w = r["wheel"]
        assert isinstance(w, dict)
        for artifact, reasons in (("sdist", r["sdist_reasons"]), ("wheel", w["reasons"])):
            assert isinstance(reasons, dict)
            for member, (why, ok) in reasons.items():
                lines.append(
                    f"| {r['project']} | {artifact} | `{member}` | {why} "
                    f"| {'yes' if ok else 'NO'} |"
                )
        for member, diff in w["diffs"].items():
            diffs += ["", f"{r['project']}, wheel, `{member}`:", "", "```diff", diff, "```"]
    lines += ["", "The wheel members whose bytes differ, as a diff (original -> vcrelease):"]
    lines += diffs
    lines += [
        "",
        "## Editable installs",
        "",
        "Each row: a fresh clone of B (original) or C' (vcrelease), a fresh venv, the",
        "installer, then the project's own version command; the version it printed. \"as",
        'expected" applies the version rule to the original\'s; "same as the build" says',
        "both equal the versions of the built artifacts above; the last column is `git status",
        "--porcelain --untracked-files=all` in the clone after the install (the version",
        "files are written where the projects' `.gitignore` ignores them; an untracked",
        "`*.egg-info/` is setuptools' own, for both variants, where a project does not ignore",
        "it, and untracked files make neither tool's version dirty). For hatch this is",
        "the failure a switch must not bring: `hatch --version` after `pip install -e .` of the",
        "switched project stopping with `No module named 'hatch._version'`.",
        "",
        "| project | version command | installer | original prints | vcrelease prints | "
        "expected | as expected | same as the build | `git status` after: original / "
        "vcrelease |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        words = VERSION_COMMANDS.get(str(r["project"]), ["importlib.metadata.version"])
        command = shlex.join(w.replace("{bin}/", "") for w in words)
        edits = r["editable"]
        assert isinstance(edits, list)
        for e in edits:
            lines.append(
                f"| {r['project']} | `{command}` | {e['installer']} | {e['scm']} | {e['ours']} "
                f"| {e['expected']} | {e['as_expected']} "
                f"| {'yes' if e['same_as_build'] else 'NO'} "
                f"| {_status(e['status'][0])} / {_status(e['status'][1])} |"
            )
    dropped = [(r["project"], r["migrate_dropped"]) for r in rows if r["migrate_dropped"]]
    if dropped:
        lines += ["", "## Settings `vcrelease migrate` dropped", ""]
        for project, settings in dropped:
            assert isinstance(settings, list)
            lines += [f"- {project}: {s}" for s in settings]
    return "\n".join(lines) + "\n"


def monorepo_section(clone: Path) -> str:
    """The report of ``vcrelease migrate --all`` (this checkout's) on ``clone``, at its HEAD:
    which projects it switches and which it leaves alone, and why."""
    env = clean_env(PYTHONPATH=str(ROOT / "src"))
    done = run(sys.executable, "-m", "vcrelease", "migrate", "--all", str(clone), cwd=clone,
               env=env, check=False)  # fmt: skip
    head = out("git", "rev-parse", "--short=9", "HEAD", cwd=clone)
    report = (done.stdout + done.stderr).replace(str(clone), ".").strip()
    return (
        f"\n## Monorepo: {clone.name} at {head}\n\n"
        f"The report of `vcrelease migrate --all` (exit {done.returncode}); nothing is "
        "written or built here.\n\n```text\n" + report + "\n```\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clones", nargs="*", type=Path)
    parser.add_argument(
        "--drop-requirement",
        action="append",
        default=[],
        metavar="NAME",
        help="remove this build requirement from both builds (one that needs the network)",
    )
    parser.add_argument(
        "--monorepo",
        action="append",
        default=[],
        type=Path,
        metavar="CLONE",
        help="a repository of several projects: report `vcrelease migrate --all` on it",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dropin.md")
    parser.add_argument("--work", type=Path, help="work directory, kept (default: temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dropin-") as tmp:
        work = Path(tmp) if args.work is None else args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
        wheelhouse = work / "wheelhouse"
        if args.clones:
            log(f"building vcrelease from {ROOT}")
            run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheelhouse),
                str(ROOT), cwd=ROOT, env=clean_env())  # fmt: skip
            log(f"vcrelease wheel: {[p.name for p in wheelhouse.iterdir()]}")
        rows = []
        for clone in args.clones:
            row = compare(clone.resolve(), wheelhouse, work, args.drop_requirement)
            print(row, file=sys.stderr)
            rows.append(row)
    text = document(rows) if rows else "# vcrelease as a drop-in: monorepos\n"
    for clone in args.monorepo:
        text += monorepo_section(clone.resolve())
    args.out.write_text(text, encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    ok = all(
        r["finder_same"] != "NO"
        and r["as_expected"] == "yes"
        and r["wheel_versions_match"]
        and r["from_sdist_ours"] == "same"
        and not r["sdist_only_scm"]
        and not r["sdist_only_ours"]
        and all(ok for _, ok in r["sdist_reasons"].values())  # type: ignore[attr-defined]
        and not r["wheel"]["only_scm"]  # type: ignore[index]
        and not r["wheel"]["only_ours"]  # type: ignore[index]
        and not r["wheel"]["info_only_scm"]  # type: ignore[index]
        and not r["wheel"]["info_only_ours"]  # type: ignore[index]
        and r["wheel"]["record_explained"]  # type: ignore[index]
        and all(ok for _, ok in r["wheel"]["reasons"].values())  # type: ignore[index]
        and all(
            e["as_expected"] == "yes" and e["same_as_build"]
            for e in r["editable"]  # type: ignore[attr-defined]
        )
        for r in rows
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
