"""vcrelease as a drop-in for setuptools-scm: the same sdist files on real projects.

For each git clone given (a setuptools + setuptools-scm project without ``MANIFEST.in``):

1. the file finders: setuptools-scm's git finder (``git ls-files``) vs vcrelease's
   (:func:`vcrelease.integrations.filefinder.tracked_files_below`), in this process;
2. two isolated sdist builds (``python -m build --sdist``): the project as it is, and the
   project switched to vcrelease (``setuptools_scm`` replaced by ``vcrelease`` in
   ``build-system.requires``, ``[tool.setuptools_scm]`` by ``[tool.vcrelease]``), vcrelease
   coming from a wheel of this checkout through ``PIP_FIND_LINKS``. setuptools-scm is not in
   the second build's environment, so every file there came from vcrelease.

Writes the table to ``docs/dropin.md`` (``--out``). Needs the network for PyPI (setuptools,
setuptools-scm and the projects' build requirements). Usage::

    python scripts/compare_dropin.py /tmp/twine /tmp/zipp /tmp/pytest-xdist
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def finder_lists(project: Path) -> tuple[list[str], list[str]]:
    from vcs_versioning._file_finders._git import git_find_files

    from vcrelease.integrations.filefinder import tracked_files_below

    here = Path.cwd()
    os.chdir(project)
    try:
        return sorted(git_find_files("")), sorted(tracked_files_below(""))
    finally:
        os.chdir(here)


def switch_to_vcrelease(project: Path) -> None:
    """What ``vcrelease migrate --write`` does (the README's migration section)."""
    from vcrelease.migration import rewrite, translate

    path = project / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(rewrite(text, translate(tomllib.loads(text)), hatch=False), encoding="utf-8")


def sdist(project: Path, out: Path, env: dict[str, str]) -> tuple[str, set[str]]:
    """(file name, member names without the top directory) of a fresh isolated sdist."""
    args = (sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(project))
    run(*args, cwd=project, env=env)
    (name,) = [p for p in os.listdir(out) if p.endswith(".tar.gz")]
    with tarfile.open(out / name) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
    return name, members


def drop_requirements(project: Path, names: list[str]) -> None:
    """Remove build requirements that need more than PyPI (zipp's ``coherent.licensed``
    downloads a license text), in both builds alike."""
    path = project / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    for name in names:
        text = re.sub(rf'\s*"{re.escape(name)}[^"]*",?', "", text)
    path.write_text(text, encoding="utf-8")


def compare(clone: Path, wheelhouse: Path, work: Path, drop: list[str]) -> dict[str, object]:
    name = clone.name
    scm_files, our_files = finder_lists(clone)
    env = {**os.environ, "PIP_FIND_LINKS": str(wheelhouse)}
    env = {k: v for k, v in env.items() if not k.startswith(("VCRELEASE_", "SETUPTOOLS_SCM_"))}
    before = work / f"{name}-scm"
    after = work / f"{name}-vcrelease"
    for dest in (before, after):
        run("git", "clone", "-q", "--local", str(clone), str(dest), cwd=work)
    for dest in (before, after):
        drop_requirements(dest, drop)
    switch_to_vcrelease(after)
    scm_sdist, scm_members = sdist(before, work / f"{name}-dist-scm", env)
    our_sdist, our_members = sdist(after, work / f"{name}-dist-vcrelease", env)
    egg = re.compile(r"(?:.*/)?[^/]*\.egg-info/")
    only_scm = sorted(m for m in scm_members - our_members if not egg.match(m))
    only_ours = sorted(m for m in our_members - scm_members if not egg.match(m))
    return {
        "project": name,
        "commit": run("git", "rev-parse", "--short=9", "HEAD", cwd=clone),
        "finder_scm": len(scm_files),
        "finder_ours": len(our_files),
        "finder_same": scm_files == our_files,
        "sdist_scm": f"{scm_sdist} ({len(scm_members)})",
        "sdist_ours": f"{our_sdist} ({len(our_members)})",
        "only_scm": only_scm,
        "only_ours": only_ours,
        "egg_info_diff": sorted(m for m in scm_members ^ our_members if egg.match(m)),
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "# vcrelease as a drop-in for setuptools-scm: sdist contents",
        "",
        "Written by `scripts/compare_dropin.py` (do not edit by hand). Each project is built",
        "twice with `python -m build --sdist` in isolation: as it is (setuptools-scm), and",
        "switched to vcrelease by `vcrelease migrate --write` (the edit leaves the tree dirty,",
        "hence the `.dYYYYMMDD` label). The finder columns compare the git file finders directly",
        "(setuptools-scm's `git ls-files` vs vcrelease's index reader); the sdist columns count",
        "the files in each sdist, and the last columns list the files only one of them has",
        "(`*.egg-info/` apart).",
        "",
        "| project | commit | finder: setuptools-scm / vcrelease | same list | sdist with "
        "setuptools-scm (files) | sdist with vcrelease (files) | only in setuptools-scm's "
        "| only in vcrelease's | egg-info differences |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['project']} | {r['commit']} | {r['finder_scm']} / {r['finder_ours']} "
            f"| {'yes' if r['finder_same'] else 'NO'} | {r['sdist_scm']} | {r['sdist_ours']} "
            f"| {', '.join(r['only_scm']) or 'none'} | {', '.join(r['only_ours']) or 'none'} "  # type: ignore[arg-type]
            f"| {', '.join(r['egg_info_diff']) or 'none'} |"  # type: ignore[arg-type]
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument(
        "--drop-requirement",
        action="append",
        default=[],
        metavar="NAME",
        help="remove this build requirement from both builds (one that needs the network)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dropin.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dropin-") as tmp:
        work = Path(tmp)
        wheelhouse = work / "wheelhouse"
        run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(wheelhouse),
            str(ROOT),
            cwd=ROOT,
        )
        rows = []
        for clone in args.clones:
            row = compare(clone.resolve(), wheelhouse, work, args.drop_requirement)
            print(row, file=sys.stderr)
            rows.append(row)
        shutil.rmtree(wheelhouse)
    args.out.write_text(table(rows), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return (
        0 if all(r["finder_same"] and not r["only_scm"] and not r["only_ours"] for r in rows) else 1
    )


if __name__ == "__main__":
    sys.exit(main())
