"""``vcrelease migrate --write`` on every TOML layout, and on a monorepo.

The same settings written as ``[table]`` headers, dotted keys (pyproject-fmt's style, as in
tox and virtualenv), inline tables, with comments: the rewrite keeps the layout and the
comments, and the parsed result is held to independent checks (the old tables gone, the rest
equal). A hypothesis property draws the layout of each table. The monorepo tests use
setuptools-scm's own repository (``fixtures-migrate/setuptools-scm-monorepo``).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from gitutil import git, new_repo
from vcrelease.cli.main import main as vcrelease
from vcrelease.migration import translate
from vcrelease.switch import RewriteBug, plan, rewrite
from vcrelease.version.projects import uses_vcrelease

FIXTURES = Path(__file__).parent / "fixtures-migrate"


def migrate(*args: str | Path) -> tuple[int, str, str]:
    """``vcrelease migrate ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = vcrelease(["migrate", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


HATCH_REQUIRES = """\
[build-system]
build-backend = "hatchling.build"
requires = [
  "hatch-vcs>=0.5", # the version from git
  "hatchling>=1.27",
]

[project]
name = "tox"
dynamic = ["version"]

"""

LAYOUTS = {
    "dotted keys (tox, virtualenv: pyproject-fmt)": """\
[tool.hatch]
build.hooks.vcs.version-file = "src/tox/version.py"
build.targets.sdist.include = ["/src", "/tests"]
version.source = "vcs"
version.raw-options = { local_scheme = "no-local-version" }  # PyPI takes no local part

[tool.ruff]
line-length = 120
""",
    "headers": """\
[tool.hatch.version]
source = "vcs"  # hatch-vcs

[tool.hatch.version.raw-options]
local_scheme = "no-local-version"

[tool.hatch.build.hooks.vcs]
version-file = "src/tox/version.py"

[tool.hatch.build.targets.sdist]
include = ["/src", "/tests"]

[tool.ruff]
line-length = 120
""",
    "inline tables": "[tool.hatch]\n"
    'version = {source = "vcs", raw-options = {local_scheme = "no-local-version"}}\n'
    'build = {hooks = {vcs = {version-file = "src/tox/version.py"}}, '
    'targets = {sdist = {include = ["/src", "/tests"]}}}\n'
    "\n[tool.ruff]\nline-length = 120\n",
    "mixed: header, dotted keys below it": """\
[tool.hatch.version]
source = "vcs"
raw-options.local_scheme = "no-local-version"

[tool.hatch.build]
hooks.vcs.version-file = "src/tox/version.py"
targets.sdist.include = ["/src", "/tests"]

[tool.ruff]
line-length = 120
""",
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_switches_and_keeps_its_form(tmp_path: Path, layout: str) -> None:
    text = HATCH_REQUIRES + LAYOUTS[layout]
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    code, out, err = migrate(tmp_path, "--write")
    assert code == 0, err
    new = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    data = tomllib.loads(new)
    assert data["build-system"]["requires"] == ["vcrelease", "hatchling>=1.27"]
    hatch = data["tool"]["hatch"]
    assert hatch["version"] == {"source": "vcrelease"}
    assert hatch["build"]["hooks"] == {"vcrelease": {}}
    assert hatch["build"]["targets"] == {"sdist": {"include": ["/src", "/tests"]}}
    assert data["tool"]["vcrelease"] == {
        "local-scheme": "no-local-version",
        "version-file": "src/tox/version.py",
    }
    assert data["tool"]["ruff"] == {"line-length": 120}
    assert data["project"] == {"name": "tox", "dynamic": ["version"]}
    # the layout and the comments that belong to what stays are kept
    assert new.startswith(text[: text.index('  "hatch-vcs')])
    assert "[tool.ruff]\nline-length = 120\n" in new
    if layout.startswith("dotted"):
        assert (
            'build.targets.sdist.include = ["/src", "/tests"]\nversion.source = "vcrelease"' in new
        )
    if layout == "headers":
        assert 'source = "vcrelease"  # hatch-vcs' in new
    if layout == "inline tables":
        assert re.search(r'version = \{source = "vcrelease"\s*\}', new)
    if layout.startswith("mixed"):
        assert '[tool.hatch.build]\ntargets.sdist.include = ["/src", "/tests"]' in new
    assert "hatch-vcs -> vcrelease" in out
    assert "'hatch-vcs>=0.5' -> 'vcrelease'" in out
    assert "removed [tool.hatch.build.hooks.vcs]" in out


@pytest.mark.parametrize(
    "text",
    [
        'tool = {setuptools_scm = {local_scheme = "no-local-version"}, '
        "black = {line-length = 99}}\n",
        'tool.setuptools_scm.local_scheme = "no-local-version"  # root dotted keys\n'
        "tool.black.line-length = 99\n",
        '[tool]\nsetuptools_scm = {local_scheme = "no-local-version"}\nblack.line-length = 99\n',
        '# the plugin\n[tool."setuptools_scm"]\nlocal_scheme = "no-local-version"\n\n'
        "[tool.black]\nline-length = 99\n",
    ],
    ids=["inline tool", "root dotted", "tool header", "quoted key"],
)
def test_setuptools_scm_tables_in_every_layout(tmp_path: Path, text: str) -> None:
    text += '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm[toml]>=8"]\n'
    text += 'build-backend = "setuptools.build_meta"\n'
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    code, _, err = migrate(tmp_path, "--write")
    assert code == 0, err
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"] == {
        "black": {"line-length": 99},
        "vcrelease": {"local-scheme": "no-local-version"},
    }
    assert data["build-system"]["requires"] == ["setuptools>=64", "vcrelease"]


def test_a_generated_file_that_misses_the_change_is_reported_as_vcreleases_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check behind every write: tomlkit's own API, asked to delete the dotted
    ``build.hooks.vcs`` and add a hook, writes ``[build.hooks.vcrelease]`` (a valid file
    that means something else); such a text is refused as vcrelease's bug, and through the
    command line that is exit 70 with the file left as it was."""
    import vcrelease.switch as switch

    text = HATCH_REQUIRES + LAYOUTS["dotted keys (tox, virtualenv: pyproject-fmt)"]
    data = tomllib.loads(text)
    migration = translate(data)
    the_plan = plan(data, migration)
    wrong = text.replace(
        'build.hooks.vcs.version-file = "src/tox/version.py"\n', "\n[build.hooks.vcrelease]\n"
    )
    with pytest.raises(RewriteBug, match=r"pkg/pyproject.toml differs .*bug in vcrelease"):
        switch._check(text, wrong, migration, the_plan, "pkg/pyproject.toml")
    with pytest.raises(RewriteBug, match=r"does not parse"):
        switch._check(text, text + "[tool.hatch]\n", migration, the_plan, "pkg/pyproject.toml")
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(switch, "_remove", lambda container, path: False)  # a faulty edit
    code, _, err = migrate(tmp_path, "--write")
    assert code == 70
    assert "differs from the intended change" in err
    assert "bug in vcrelease" in err
    assert "Fix the file" not in err
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == text


# -- generated layouts ----------------------------------------------------------------------

LOGICAL: dict[str, Any] = {
    "hatch": {
        "version": {"source": "vcs", "raw-options": {"local_scheme": "no-local-version"}},
        "build": {
            "hooks": {"vcs": {"version-file": "src/p/_version.py"}, "custom": {}},
            "targets": {"wheel": {"packages": ["src/p"]}},
        },
        "metadata": {"allow-direct-references": True},
    },
    "ruff": {"line-length": 99, "lint": {"select": ["E", "F"]}},
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    return f'"{value}"'


def _leaves(prefix: str, table: dict[str, Any]) -> list[str]:
    if not table:
        return [f"{prefix} = {{}}"]
    lines: list[str] = []
    for key, value in table.items():
        if isinstance(value, dict):
            lines += _leaves(f"{prefix}.{key}", value)
        else:
            lines.append(f"{prefix}.{key} = {_value(value)}")
    return lines


def _render(path: tuple[str, ...], table: dict[str, Any], style: Any) -> list[str]:
    """``table`` under a ``[path]`` header; each sub-table drawn as a header of its own,
    dotted keys or an inline table; a header with nothing of its own may be left out."""
    own: list[str] = []
    later: list[str] = []
    for key, value in table.items():
        if not isinstance(value, dict):
            own.append(f"{key} = {_value(value)}")
            continue
        kind = style((*path, key))
        if kind == "inline" or (kind == "dotted" and not value):
            own.append(f"{key} = {_value(value)}  # {key}")
        elif kind == "dotted":
            own += _leaves(key, value)
        else:
            later += _render((*path, key), value, style)
    keep = own or not table or style((*path, "")) == "header"  # an empty table needs one
    header = ["", f"[{'.'.join(path)}]"] if keep else []
    return header + own + later


@settings(max_examples=max(settings().max_examples // 10, 20))
@given(st.data())
def test_generated_layouts_switch_to_the_same_data(data: st.DataObject) -> None:
    choices = st.sampled_from(["header", "dotted", "inline"])
    drawn: dict[tuple[str, ...], str] = {}

    def style(path: tuple[str, ...]) -> str:
        if path not in drawn:
            drawn[path] = data.draw(choices, label=".".join(path))
        return drawn[path]

    text = HATCH_REQUIRES + "\n".join(_render(("tool",), LOGICAL, style)) + "\n"
    parsed = tomllib.loads(text)
    assert parsed["tool"] == LOGICAL, text
    migration = translate(parsed)
    new = tomllib.loads(rewrite(text, migration, plan(parsed, migration)))
    hatch = new["tool"]["hatch"]
    assert hatch["version"] == {"source": "vcrelease"}
    assert hatch["build"]["hooks"] == {"custom": {}, "vcrelease": {}}
    assert hatch["build"]["targets"] == LOGICAL["hatch"]["build"]["targets"]
    assert hatch["metadata"] == LOGICAL["hatch"]["metadata"]
    assert new["tool"]["ruff"] == LOGICAL["ruff"]
    assert new["tool"]["vcrelease"] == {
        "local-scheme": "no-local-version",
        "version-file": "src/p/_version.py",
    }
    assert new["build-system"]["requires"] == ["vcrelease", "hatchling>=1.27"]


# -- monorepos ------------------------------------------------------------------------------


def _monorepo(tmp_path: Path) -> Path:
    top = tmp_path / "setuptools-scm"
    shutil.copytree(FIXTURES / "setuptools-scm-monorepo", top)
    (top / "SOURCE").unlink()
    return new_repo(top)


def test_setuptools_scm_monorepo_is_left_alone_and_says_why(tmp_path: Path) -> None:
    """Neither project of setuptools-scm's repository uses a versioning plugin: each
    versions itself in its setup.py (vcs-versioning lists no plugin; setuptools-scm lists
    vcs-versioning, a library its setup.py imports). Nothing is written, the report says
    why per project, and the vcs-versioning requirement keeps its bound."""
    top = _monorepo(tmp_path)
    before = {p: p.read_bytes() for p in top.rglob("pyproject.toml")}
    code, out, err = migrate(top, "--all", "--write")
    assert code == 0, err
    assert "# pyproject.toml: not changed: build-system.requires names neither" in out
    assert "# vcs-versioning/pyproject.toml: not changed: build-system.requires names" in out
    assert "# setuptools-scm/pyproject.toml: not changed" in out
    assert "no project of this repository uses setuptools-scm or hatch-vcs" in out
    assert "-> vcrelease" not in out
    assert {p: p.read_bytes() for p in top.rglob("pyproject.toml")} == before
    single = migrate(top / "vcs-versioning", "--write")
    assert single[0] == 2
    assert "neither setuptools-scm nor hatch-vcs ([tool.vcs-versioning])" in single[2]


def test_a_requirement_setup_py_imports_keeps_its_bound(tmp_path: Path) -> None:
    """setuptools-scm/ as if it listed the setuptools-scm plugin: every plugin requirement
    its setup.py imports is kept as written (vcs-versioning's ``<3`` included) and the
    report says why; once setup.py imports only vcs_versioning, setuptools-scm is replaced
    in place and vcs-versioning still keeps its bound. The setup.py steps left to the user
    are named, and so is the setting with no equivalent."""
    top = _monorepo(tmp_path)
    sub = top / "setuptools-scm" / "pyproject.toml"
    text = sub.read_text(encoding="utf-8")
    text = text.replace('  "setuptools>=45",\n', '  "setuptools>=45",\n  "setuptools-scm>=9",\n', 1)
    sub.write_text(text, encoding="utf-8")
    tail = ['tomli>=1; python_version < "3.11"', 'typing-extensions>=4.1; python_version < "3.11"']
    code, out, err = migrate(top, "--all", "--write", "--drop-unsupported")
    assert code == 0, err
    data = tomllib.loads(sub.read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == [
        "setuptools>=45",
        "setuptools-scm>=9",
        "vcs-versioning>=2.2.2,<3",
        *tail,
        "vcrelease",
    ]
    assert "# setuptools-scm/pyproject.toml: setuptools-scm -> vcrelease" in out
    assert "'setuptools-scm>=9' kept (setup.py imports setuptools_scm)" in out
    assert "'vcs-versioning>=2.2.2,<3' kept (setup.py imports vcs_versioning)" in out
    assert "setup.py passes version= to setup()" in err
    assert "setup.py imports setuptools_scm" in err
    assert "# vcs-versioning/pyproject.toml: not changed" in out
    assert uses_vcrelease(data)
    other = tomllib.loads((top / "vcs-versioning" / "pyproject.toml").read_text("utf-8"))
    assert not uses_vcrelease(other)

    sub.write_text(text, encoding="utf-8")
    setup_py = top / "setuptools-scm" / "setup.py"
    setup_py.write_text(
        setup_py.read_text(encoding="utf-8").replace(
            "from setuptools_scm import get_version\n", ""
        ),
        encoding="utf-8",
    )
    code, out, err = migrate(top / "setuptools-scm", "--write", "--drop-unsupported")
    assert code == 0, err
    data = tomllib.loads(sub.read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == [
        "setuptools>=45",
        "vcrelease",
        "vcs-versioning>=2.2.2,<3",
        *tail,
    ]
    assert "'setuptools-scm>=9' -> 'vcrelease'" in out
    assert "'vcs-versioning>=2.2.2,<3' kept (setup.py imports vcs_versioning)" in out


def test_projects_lists_only_what_vcrelease_versions(tmp_path: Path) -> None:
    """A [tool.vcrelease] left in a project that another build versions (vcs-versioning/:
    its setup.py, no vcrelease in requires) and a static version are not projects."""
    top = _monorepo(tmp_path)
    sub = top / "vcs-versioning" / "pyproject.toml"
    sub.write_text(sub.read_text(encoding="utf-8") + "\n[tool.vcrelease]\n", encoding="utf-8")
    (top / "pyproject.toml").write_text(
        (top / "pyproject.toml").read_text(encoding="utf-8") + "\n[tool.vcrelease]\n",
        encoding="utf-8",
    )
    (top / "cli-only").mkdir()
    (top / "cli-only" / "pyproject.toml").write_text("[tool.vcrelease]\n", encoding="utf-8")
    (top / "built").mkdir()
    (top / "built" / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "vcrelease"]\n'
        '[project]\nname = "built"\ndynamic = ["version"]\n[tool.vcrelease]\n',
        encoding="utf-8",
    )
    git(top, "add", "-A")
    git(top, "commit", "-qm", "more")
    git(top, "tag", "v1.0")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = vcrelease(["projects", str(top), "--format", "json"])
    assert code == 0, err.getvalue()
    import json

    rows = json.loads(out.getvalue())["projects"]
    assert sorted(r["directory"] for r in rows) == ["built", "cli-only"]


def test_all_passes_over_a_tracked_file_that_is_not_toml(tmp_path: Path) -> None:
    """tox's repository tracks test fixtures named pyproject.toml; one that does not parse
    is reported and the other projects are still switched."""
    top = _monorepo(tmp_path)
    (top / "fixture").mkdir()
    (top / "fixture" / "pyproject.toml").write_text("[broken\n", encoding="utf-8")
    (top / "app").mkdir()
    (top / "app" / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
        '[project]\nname = "app"\ndynamic = ["version"]\n[tool.setuptools_scm]\n',
        encoding="utf-8",
    )
    git(top, "add", "-A")
    git(top, "commit", "-qm", "more")
    code, out, err = migrate(top, "--all", "--write")
    assert code == 0, err
    assert "# fixture/pyproject.toml: not changed:" in out
    assert "is not valid TOML" in out
    assert "# app/pyproject.toml: setuptools-scm -> vcrelease" in out
    data = tomllib.loads((top / "app" / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["setuptools", "vcrelease"]
    assert data["tool"] == {"vcrelease": {}}


def test_use_scm_version_in_setup_py_is_refused_until_dropped(tmp_path: Path) -> None:
    """setuptools-scm's docs example passes a version scheme in setup.py code: --write stops
    naming it; with --drop-unsupported the pyproject.toml switches and the step left in
    setup.py is named."""
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"\n[project]\nname = "p"\n'
        'dynamic = ["version"]\n',
        encoding="utf-8",
    )
    (tmp_path / "setup.py").write_text(
        'from setuptools import setup\n\nsetup(use_scm_version={"write_to": "p/_version.py"})\n',
        encoding="utf-8",
    )
    code, _, err = migrate(tmp_path, "--write")
    assert code == 2
    assert "no equivalent for setup.py use_scm_version" in err
    assert "--drop-unsupported" in err
    code, out, err = migrate(tmp_path, "--write", "--drop-unsupported")
    assert code == 0, err
    assert "setuptools-scm -> vcrelease" in out
    assert "delete use_scm_version from setup()" in err
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["setuptools>=64", "vcrelease"]
    assert data["tool"] == {"vcrelease": {}}


def test_a_project_with_a_vcrelease_table_is_not_rewritten(tmp_path: Path) -> None:
    """A second [tool.vcrelease] would not parse: a project that has one is left alone with
    the reason, its file untouched (exit 2 for the one project named)."""
    text = HATCH_REQUIRES + LAYOUTS["headers"] + "\n[tool.vcrelease]\ntag-prefix = 'v'\n"
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    code, _, err = migrate(tmp_path, "--write")
    assert code == 2
    assert "already has [tool.vcrelease]" in err
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == text


def test_an_existing_vcrelease_hook_table_is_kept(tmp_path: Path) -> None:
    text = HATCH_REQUIRES + LAYOUTS["headers"] + "\n[tool.hatch.build.hooks.vcrelease]\n"
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    code, _, err = migrate(tmp_path, "--write")
    assert code == 0, err
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"]["hatch"]["build"]["hooks"] == {"vcrelease": {}}


def test_crlf_line_ends_are_kept(tmp_path: Path) -> None:
    text = (HATCH_REQUIRES + LAYOUTS["dotted keys (tox, virtualenv: pyproject-fmt)"]).replace(
        "\n", "\r\n"
    )
    (tmp_path / "pyproject.toml").write_bytes(text.encode())
    code, _, err = migrate(tmp_path, "--write")
    assert code == 0, err
    new = (tmp_path / "pyproject.toml").read_bytes()
    assert b"\r\n[tool.vcrelease]\r\n" in new
    assert new.count(b"\n") == new.count(b"\r\n")
