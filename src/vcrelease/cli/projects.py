"""``vcrelease projects [PATH]``: every project of the repository that uses vcrelease, with its
directory, version, tag, distance, dirty state and sibling pins
(:func:`vcrelease.version.projects.survey`).

``--format table`` (default), ``json`` (``{"projects": [...]}``), or ``github``: the table,
and the step outputs ``projects`` (the JSON list on one line) and ``<name>-version`` for each
project (:mod:`vcrelease.cli.ghoutput`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..errors import EXIT_OK

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=".", type=Path, help="any directory of the repository"
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "github"),
        default="table",
        help="table (default), json, or github: the table, and outputs projects and "
        "<name>-version appended to $GITHUB_OUTPUT",
    )


def run(args: argparse.Namespace) -> int:
    from ..version.projects import survey

    rows = [state.as_dict() for state in survey(args.path, os.environ)]
    if args.format == "json":
        print(json.dumps({"projects": rows}, indent=2))
        return EXIT_OK
    _print_table(rows)
    for row in rows:
        if row["error"] is not None:
            print(f"vcrelease: {row['directory']}: {row['error']}", file=sys.stderr)
    if args.format == "github":
        from .ghoutput import append_outputs

        outputs = {"projects": json.dumps(rows, separators=(",", ":"))}
        for row in rows:
            if row["name"] is not None and row["version"] is not None:
                outputs[f"{row['name']}-version"] = str(row["version"])
        path = append_outputs(os.environ, outputs)
        print(f"vcrelease: wrote outputs {', '.join(outputs)} to {path}", file=sys.stderr)
    return EXIT_OK


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def _print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        print("no project in this repository uses vcrelease")
        return
    columns = ("directory", "name", "version", "tag", "distance", "dirty", "pins")
    cells = [list(columns)] + [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
