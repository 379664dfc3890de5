"""The GitHub Action's step outputs and job summary, from the vcrelease commands' JSON.

Used by ``action.yml`` only (the standard library, nothing of vcrelease: the composite steps
run the commands, this script reshapes what they printed):

- ``report.py ci CI.json``: ``is-release`` and ``json`` (one line) for ``$GITHUB_OUTPUT``;
- ``report.py upload UPLOAD.json``: ``uploaded``, a JSON list of ``{file, action, sha256}``;
- ``report.py summary CI.json DESCRIBE.json UPLOAD.json``: the job summary in Markdown (a file
  that does not exist is left out: no upload, or a step that failed); the Docker tags from
  ``$TAGS`` (one a line, the docker-tags step's output) when set.

The step-output format: GitHub Actions, "Workflow commands", "Setting an output parameter"
(values here are single lines).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def _load(path: str) -> Any:
    file = Path(path)
    if not file.is_file() or not file.read_text(encoding="utf-8").strip():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except ValueError:
        return None


def _files(report: Any) -> list[dict[str, Any]]:
    """The file entries of a vc-upload report: its top-level ``files`` lists every file of
    every project (a set's ``projects`` repeat them, grouped)."""
    if not isinstance(report, dict):
        return []
    return [f for f in report.get("files") or [] if isinstance(f, dict)]


def uploaded(report: Any) -> list[dict[str, Any]]:
    """``[{file, action, sha256}]``: ``action`` is what happened (the outcome: uploaded,
    skipped, ...) or, in a dry run or a refusal, what was planned."""
    return [
        {
            "file": f.get("filename"),
            "action": f.get("outcome") or f.get("action"),
            "sha256": f.get("sha256"),
        }
        for f in _files(report)
    ]


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def summary(ci: Any, describe: Any, report: Any) -> str:
    """The job summary: version, why, Docker tags, upload table."""
    lines = ["## vcrelease", ""]
    if isinstance(ci, dict):
        context = ci.get("context") or {}
        lines.append(f"**Version** `{ci.get('version')}` ({ci.get('kind')}), from "
                     f"{ci.get('version_source')}")  # fmt: skip
        lines.append("")
        sha = (context.get("sha") or "")[:12]
        lines.append(f"**Build**: {context.get('provider')} {context.get('event')} of "
                     f"`{context.get('ref_name')}` at `{sha}`")  # fmt: skip
    if isinstance(describe, dict):
        why = f"tag `{describe.get('tag')}`" if describe.get("tag") else "no version tag"
        why += f", {describe.get('distance')} commits since it"
        dirty = describe.get("dirty_files") or []
        why += f", dirty ({', '.join(dirty[:5])})" if describe.get("dirty") else ", clean tree"
        lines += ["", f"**Why**: {why}"]
    if isinstance(ci, dict):
        lines += ["", f"**Upload decision**: {ci.get('upload')}: {ci.get('upload_reason')}"]
        # The docker-tags step's (with the images) when the caller passes them in TAGS.
        tags = os.environ.get("TAGS", "").split() or ci.get("docker_tags") or []
        lines += ["", "**Docker tags**:", ""]
        lines += [f"- `{tag}`" for tag in tags] or ["- (none)"]
    if report is not None:
        lines += ["", "**Upload**:", "", "| file | action | sha256 |", "|---|---|---|"]
        lines += [
            f"| {_cell(u['file'])} | {_cell(u['action'])} | `{_cell(u['sha256'])}` |"
            for u in uploaded(report)
        ]
        if isinstance(report, dict) and report.get("message"):
            lines += ["", _cell(report.get("message"))]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    command, *paths = argv
    if command == "ci":
        ci = _load(paths[0])
        if not isinstance(ci, dict):
            print("report.py: `vcrelease ci` printed no JSON", file=sys.stderr)
            return 2
        print(f"is-release={'true' if ci.get('release') else 'false'}")
        print(f"json={json.dumps(ci, separators=(',', ':'))}")
    elif command == "upload":
        print(f"uploaded={json.dumps(uploaded(_load(paths[0])), separators=(',', ':'))}")
    elif command == "summary":
        sys.stdout.write(summary(*(_load(p) for p in paths)))
    else:
        print(f"report.py: unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
