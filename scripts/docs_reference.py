"""The reference pages of the documentation, generated from the code that defines them.

Four pages under ``docs/reference/`` are written by this script, never by hand:

- ``configuration.md``: :data:`vcrelease.config.KEY_REFERENCE`;
- ``environment-variables.md``: :data:`vcrelease.config.ENVIRONMENT_VARIABLES` and the CI
  detection variables (:data:`vcrelease.ci.context.DETECTION_VARIABLES`);
- ``exit-codes.md``: :data:`vcrelease.errors.EXIT_CODES`;
- ``cli.md``: the argparse parser of ``vcrelease`` (:func:`vcrelease.cli.main.build_parser`,
  every subcommand with its options added), walked action by action.

They are committed, so the README's links work where the repository is read (a forge's file
view) and not only on the built site. They cannot drift: ``python scripts/docs_reference.py``
rewrites them, ``--check`` fails when one differs from the code, and so does the test suite
(``tests/test_docs_reference.py``) and the site's build.

As an MkDocs hook (``hooks:`` in ``mkdocs.yml``): :func:`on_page_markdown` serves each of these
pages as generated now and warns (a failure under ``mkdocs build --strict``) when the committed
file differs; :func:`on_files` adds ``changelog.md``, the repository's ``CHANGELOG.md``, which
lives at the top where Keep a Changelog puts it.

The page functions need only vcrelease (no MkDocs), so the tests call them directly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

__all__ = [
    "PAGES",
    "changelog_page",
    "cli_page",
    "configuration_page",
    "environment_page",
    "exit_codes_page",
    "main",
    "on_files",
    "on_page_markdown",
    "stale_pages",
    "subcommands",
]

ROOT = Path(__file__).resolve().parent.parent
"""The repository's top directory."""
USAGE_WIDTH = 88
"""The width the usage lines are wrapped at (the terminal's width does not matter here)."""


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: lines joined, ``|`` escaped, and ``<``, ``>``
    outside code spans written as entities (``<name>`` is text, not an HTML tag)."""
    parts = " ".join(text.split("\n")).split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def configuration_page() -> str:
    """The ``[tool.vcrelease]`` keys: name, default, meaning."""
    from vcrelease.config import KEY_REFERENCE

    lines = [
        "# Configuration: `[tool.vcrelease]`",
        "",
        "Every key of the `[tool.vcrelease]` table in `pyproject.toml`; all are optional, and",
        "the table's presence alone turns the setuptools plugin on. Unknown keys and bad values",
        "are errors that name the key (exit 2). This page is generated from",
        "`vcrelease.config.KEY_REFERENCE`, the table the configuration reader checks keys",
        "against.",
        "",
        "| key | default | meaning |",
        "|---|---|---|",
    ]
    for key, (default, meaning) in KEY_REFERENCE.items():
        lines.append(f"| `{key}` | {_cell(default)} | {_cell(meaning)} |")
    lines += [
        "",
        "Settings left from setuptools-scm, vcs-versioning or hatch-vcs are honoured, or the",
        "build stops naming each one without an equivalent: see",
        "[Migrating from setuptools-scm or hatch-vcs](../howto/migrate.md).",
        "",
    ]
    return "\n".join(lines)


def environment_page() -> str:
    """The environment variables vcrelease reads, and the CI variables that detect a CI."""
    from vcrelease.ci.context import DETECTION_VARIABLES
    from vcrelease.config import ENVIRONMENT_VARIABLES

    lines = [
        "# Environment variables",
        "",
        "Every variable vcrelease reads itself (generated from",
        "`vcrelease.config.ENVIRONMENT_VARIABLES`; a test checks that every `VCRELEASE_*` and",
        "`GIT_*` name the code reads is listed). twine reads its own variables too when",
        "`vc-upload` calls it (keyring, `.pypirc`: see twine's documentation).",
        "",
        "| variable | effect |",
        "|---|---|",
    ]
    for name, meaning in ENVIRONMENT_VARIABLES.items():
        lines.append(f"| `{name}` | {_cell(meaning)} |")
    detected = ", ".join(f"`{name}`" for name in DETECTION_VARIABLES)
    lines += [
        "",
        "## CI variables",
        "",
        "`vcrelease ci`, `docker-tags`, `version` and `vc-upload` read the CI provider's own",
        "variables to know the build (GitHub Actions, Travis CI, GitLab CI, CircleCI, Azure",
        "Pipelines, Jenkins, Bitbucket Pipelines, Buildkite; `GITHUB_EVENT_PATH` on GitHub).",
        f"A CI is detected by any of {detected}.",
        "`vcrelease ci` shows what was detected; [CI setup](../howto/ci.md) says what each",
        "kind of build decides.",
        "",
    ]
    return "\n".join(lines)


def exit_codes_page() -> str:
    """Every exit code with its meaning."""
    from vcrelease.errors import EXIT_CODES

    lines = [
        "# Exit codes",
        "",
        "The exit codes of `vcrelease` and `vc-upload` (generated from",
        "`vcrelease.errors.EXIT_CODES`; a test checks that every code the package defines is",
        "listed). Every non-zero exit prints one paragraph saying what happened and what to do;",
        "with `--format json` the document holds an `error` object (`type`, `message`).",
        "",
        "| code | meaning |",
        "|---|---|",
    ]
    for code, meaning in sorted(EXIT_CODES.items()):
        lines.append(f"| {code} | {_cell(meaning)} |")
    lines.append("")
    return "\n".join(lines)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand of ``vcrelease`` -> its parser, with all its options added (the lazy
    subcommands get theirs only when named: :func:`vcrelease.cli.main.build_parser`)."""
    from vcrelease.cli.main import build_parser

    def sub_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any]:
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    names = list(sub_action(build_parser()).choices)
    return {name: sub_action(build_parser(name)).choices[name] for name in names}


def _summaries() -> dict[str, str]:
    """Subcommand -> its one-line help, as ``vcrelease --help`` lists it."""
    from vcrelease.cli.main import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {choice.dest: choice.help or "" for choice in action._choices_actions}


def _sentence(text: str) -> str:
    """A help line as a sentence: capital first letter, full stop."""
    return text[:1].upper() + text[1:].rstrip(".") + "."


def _usage(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = partial(argparse.HelpFormatter, width=USAGE_WIDTH)
    return parser.format_usage().strip()


def _arguments(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    """(how the argument is written, its help with choices and default) per argument."""
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            yield "ACTION", "one of: " + ", ".join(action.choices)
            continue
        if action.option_strings:
            written = ", ".join(action.option_strings)
            if action.nargs != 0:
                metavar = action.metavar or action.dest.upper()
                written += f" {metavar if isinstance(metavar, str) else ' '.join(metavar)}"
        else:
            written = str(action.metavar or action.dest)
        text = action.help or ""
        if "%" in text:
            text = text % {**vars(action), "prog": parser.prog}
        if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
            text += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
        if isinstance(action, argparse._AppendAction) and "repeatable" not in text:
            text += " (repeatable)"
        default = action.default
        shown = default not in (None, False, argparse.SUPPRESS, [], "")
        if shown and action.nargs != 0 and "default" not in text:
            text += f" (default: `{default}`)"
        yield written, text


def cli_page() -> str:
    """Every subcommand of ``vcrelease``: its usage and a table of its arguments."""
    summaries = _summaries()
    lines = [
        "# Command line",
        "",
        "Generated from the argument parser of `vcrelease` (`vcrelease.cli.main.build_parser`),",
        "so every subcommand and option is here as `--help` prints it. `vc-upload` is",
        "`vcrelease upload` (the same options). `vcrelease --version` and `vc-upload --version`",
        "print the installed version. Exit codes: [Exit codes](exit-codes.md).",
        "",
    ]
    for name, parser in subcommands().items():
        lines += [
            f"## `vcrelease {name}`",
            "",
            _sentence(summaries.get(name, "")),
            "",
            "```console",
            _usage(parser),
            "```",
            "",
            "| argument | meaning |",
            "|---|---|",
        ]
        for written, text in _arguments(parser):
            lines.append(f"| `{_cell(written)}` | {_cell(text)} |")
        lines.append("")
        for action_name, action_parser, action_help in _actions_of(parser):
            lines += [
                f"### `vcrelease {name} {action_name}`",
                "",
                _sentence(action_help),
                "",
                "```console",
                _usage(action_parser),
                "```",
                "",
                "| argument | meaning |",
                "|---|---|",
            ]
            for written, text in _arguments(action_parser):
                lines.append(f"| `{_cell(written)}` | {_cell(text)} |")
            lines.append("")
    return "\n".join(lines)


def _actions_of(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    """The sub-subcommands of a subcommand (``vcrelease deploy install``): (name, parser, help)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found += [(n, p, helps.get(n, "")) for n, p in action.choices.items()]
    return found


def changelog_page() -> str:
    """``CHANGELOG.md`` of the repository, as the site's changelog page."""
    return (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


PAGES: dict[str, Callable[[], str]] = {
    "reference/configuration.md": configuration_page,
    "reference/environment-variables.md": environment_page,
    "reference/exit-codes.md": exit_codes_page,
    "reference/cli.md": cli_page,
}
"""Path under ``docs/`` -> the function that writes the page (committed, checked)."""
DOCS = ROOT / "docs"


def stale_pages() -> list[str]:
    """The pages of :data:`PAGES` whose committed file differs from what the code gives."""
    stale = []
    for uri, page in PAGES.items():
        path = DOCS / uri
        if not path.is_file() or path.read_text(encoding="utf-8") != page():
            stale.append(uri)
    return stale


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add ``changelog.md`` (``CHANGELOG.md``) to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "changelog.md", content=changelog_page()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: a generated page as the code gives it; a warning when the committed file
    differs (``mkdocs build --strict`` then fails)."""
    make = PAGES.get(page.file.src_uri)
    if make is None:
        return markdown
    generated = make()
    if markdown != generated:
        import logging

        logging.getLogger("mkdocs.hooks.docs_reference").warning(
            "docs/%s differs from the code it is generated from: "
            "run `python scripts/docs_reference.py` and commit the page",
            page.file.src_uri,
        )
    return generated


def main(argv: list[str]) -> int:
    """``[--check]``: rewrite the pages, or list the stale ones and exit 1."""
    if "--check" in argv:
        stale = stale_pages()
        for uri in stale:
            print(f"docs/{uri} differs from the code: run python scripts/docs_reference.py")
        return 1 if stale else 0
    for uri, page in PAGES.items():
        path = DOCS / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(), encoding="utf-8")
        print(f"wrote docs/{uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
