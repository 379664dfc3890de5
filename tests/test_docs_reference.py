"""The generated reference pages and the README hold what the code defines.

- the committed pages under ``docs/reference/`` are what ``scripts/docs_reference.py`` writes
  from the code now (so they cannot drift from it);
- the command-line page lists every subcommand and every option that argparse's own ``--help``
  prints (the oracle: argparse's help, not the generator's walk);
- every exit code the package can exit with is in :data:`vcrelease.errors.EXIT_CODES`, and
  every code there is one the package defines;
- every ``VCRELEASE_*`` and ``GIT_*`` variable the code reads is in
  :data:`vcrelease.config.ENVIRONMENT_VARIABLES`, and every variable there is read somewhere;
- every ``vcrelease`` / ``vc-upload`` command in a console block of the README or a page
  parses with the real parser;
- the README stays a front page (under 200 lines) whose links reach install, configuration,
  CI setup and the exit codes, and every relative link of the README and of the pages under
  ``docs/`` names a file that exists.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import pkgutil
import re
import runpy
import shlex
from pathlib import Path
from typing import Any

import pytest

import vcrelease
from vcrelease.cli.common import EXIT_INTERNAL
from vcrelease.cli.main import build_parser
from vcrelease.cli.upload import add_arguments
from vcrelease.config import ENVIRONMENT_VARIABLES, KEY_REFERENCE, KEYS
from vcrelease.errors import EXIT_CODES, VcreleaseError
from vcrelease.version.fallbacks import pretend_variable

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "vcrelease"
GENERATOR: dict[str, Any] = runpy.run_path(str(ROOT / "scripts" / "docs_reference.py"))


def help_text(argv: list[str]) -> str:
    """What ``vcrelease ARGV --help`` prints (argparse's own help)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser(argv[0] if argv else None).parse_args([*argv, "--help"])
    return out.getvalue()


def test_committed_pages_are_what_the_code_generates() -> None:
    assert GENERATOR["stale_pages"]() == [], "run python scripts/docs_reference.py"


def test_cli_page_lists_every_subcommand_and_option_of_the_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per subcommand and option in the help
    page = GENERATOR["cli_page"]()
    names = re.findall(r"^    ([a-z][a-z-]*)(?:  |$)", help_text([]), re.M)
    assert len(names) >= 10
    assert set(names) == set(GENERATOR["subcommands"]())
    sections = dict(re.findall(r"^## `vcrelease ([a-z-]+)`\n(.*?)(?=^## |\Z)", page, re.M | re.S))
    assert list(sections) == names
    for name in names:
        text = help_text([name])
        actions = re.findall(r"^    ([a-z][a-z-]*)(?:  |$)", text, re.M) if "ACTION" in text else []
        for action in actions:  # `vcrelease deploy install`: the options of each action
            text += help_text([name, action])
        heads = re.findall(r"^  (-\S.*?)(?:  |$)", text, re.M)  # "  -r, --repo R"
        options = {o for head in heads for o in re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", head)}
        options -= {"-h", "--help"}
        assert options, name
        rows = re.findall(r"^\| `([^`]*)` \|", sections[name], re.M)
        written = {word for row in rows for word in re.split(r"[ ,]+", row)}
        assert options <= written, (name, options - written)


def _package_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(vcrelease.__path__, "vcrelease.")
        if not info.name.endswith("__main__")
    ]


def _subclasses(cls: type[VcreleaseError]) -> list[type[VcreleaseError]]:
    found: list[type[VcreleaseError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_exit_code_is_documented_and_every_documented_code_exists() -> None:
    for name in _package_modules():
        importlib.import_module(name)
    errors = importlib.import_module("vcrelease.errors")
    codes = {
        value
        for key, value in vars(errors).items()
        if key.startswith("EXIT_") and isinstance(value, int)
    }
    codes |= {EXIT_INTERNAL, VcreleaseError.exit_code}
    codes |= {sub.exit_code for sub in _subclasses(VcreleaseError)}
    assert len(codes) >= 8
    assert codes == set(EXIT_CODES)


def test_configuration_page_has_every_key_in_the_readers_order() -> None:
    page = GENERATOR["configuration_page"]()
    assert re.findall(r"^\| `([a-z-]+)` \|", page, re.M) == list(KEYS)
    assert tuple(KEY_REFERENCE) == KEYS
    assert all(default and meaning for default, meaning in KEY_REFERENCE.values())


def _read_names() -> set[str]:
    """Every ``VCRELEASE_*`` / ``GIT_*`` string constant in the package (the variables it
    reads; ``ci/`` reads the CI providers' own, which the CI section covers), and the pretend
    variables, which the code composes."""
    pattern = re.compile(r"(VCRELEASE|GIT)_[A-Z0-9_]*")
    names = {pretend_variable(None), pretend_variable("<dist>").replace("_<DIST>", "_")}
    for path in SRC.rglob("*.py"):
        if path.parent.name == "ci" or path.name == "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and pattern.fullmatch(text):
                names.add(text)
    return names


def test_environment_table_lists_every_variable_the_code_reads() -> None:
    table = {re.sub(r"<[^>]+>$", "", name) for name in ENVIRONMENT_VARIABLES}
    read = _read_names()
    assert "VCRELEASE_PRETEND_VERSION_FOR_" in read
    assert "GIT_DIR" in read
    missing = {
        name
        for name in read
        if name not in table and not (name.endswith("_") and any(t.startswith(name) for t in table))
    }
    assert not missing, f"add to vcrelease.config.ENVIRONMENT_VARIABLES: {sorted(missing)}"
    ours = {name for name in table if name.startswith(("VCRELEASE_", "GIT_"))}
    assert not ours - read, f"read nowhere: {sorted(ours - read)}"


def test_environment_page_lists_every_variable() -> None:
    page = GENERATOR["environment_page"]()
    for name in ENVIRONMENT_VARIABLES:
        assert f"| `{name}` |" in page


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def _relative_targets(path: Path) -> list[Path]:
    return [
        (path.parent / link.split("#", 1)[0]).resolve()
        for link in _links(path)
        if not re.match(r"[a-z]+:", link) and not link.startswith("#")
    ]


def test_readme_is_a_front_page_with_two_click_links() -> None:
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) < 200
    targets = {t.relative_to(ROOT).as_posix() for t in _relative_targets(readme)}
    for page in (
        "docs/howto/install.md",
        "docs/reference/configuration.md",
        "docs/howto/ci.md",
        "docs/reference/exit-codes.md",
    ):
        assert page in targets, page
    exit_codes = (ROOT / "docs" / "reference" / "exit-codes.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert f"| {code} |" in exit_codes


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_relative_links_name_existing_files(path: Path) -> None:
    generated = {(ROOT / "docs" / "changelog.md").resolve()}  # the hook adds CHANGELOG.md
    missing = [t for t in _relative_targets(path) if not t.exists() and t not in generated]
    assert not missing, missing


def _console_commands(path: Path) -> list[list[str]]:
    """Every ``vcrelease ...`` / ``vc-upload ...`` line of the ``console`` blocks of ``path``."""
    blocks = re.findall(r"```console\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    calls = []
    for line in (line.removeprefix("$ ") for block in blocks for line in block.splitlines()):
        if line.startswith(("vcrelease ", "vc-upload ")):
            calls.append(shlex.split(line, comments=True))
    return calls


def test_documented_commands_parse() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    calls = [(path, call) for path in pages for call in _console_commands(path)]
    assert len(calls) >= 15
    upload = argparse.ArgumentParser(prog="vc-upload", exit_on_error=False)
    add_arguments(upload)
    for path, call in calls:
        parser = build_parser(call[1]) if call[0] == "vcrelease" else upload
        try:
            parser.parse_args(call[1:])
        except SystemExit as exc:  # argparse exits on a bad option
            pytest.fail(f"{path.name}: `{' '.join(call)}` does not parse ({exc})")
