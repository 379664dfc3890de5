"""GitHub Actions step outputs: the ``$GITHUB_OUTPUT`` file format.

Each output is ``name=value`` when the value is one line, else the multi-line form
``name<<DELIMITER``, the lines, ``DELIMITER``, with a delimiter that occurs in no line of the
value (GitHub Actions, "Workflow commands", "Multiline strings":
https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#multiline-strings).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError

__all__ = ["append_outputs", "format_outputs"]


def format_outputs(values: Mapping[str, str]) -> str:
    """The text to append to ``$GITHUB_OUTPUT`` for ``values`` (output name -> value).

    Raises:
        ValueError: an output name is empty or holds ``=``, ``<`` or a line break.
    """
    parts: list[str] = []
    for name, value in values.items():
        if not name or any(c in name for c in "=<\r\n"):
            raise ValueError(f"bad output name {name!r}")
        if "\n" not in value and "\r" not in value:
            parts.append(f"{name}={value}\n")
            continue
        lines = value.splitlines()
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in lines:  # pragma: no cover - 128 random bits
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        parts.append(f"{name}<<{delimiter}\n" + "".join(f"{line}\n" for line in lines))
        parts.append(f"{delimiter}\n")
    return "".join(parts)


def append_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> Path:
    """Append ``values`` to the file ``$GITHUB_OUTPUT`` names; returns its path.

    Raises:
        ConfigError: ``GITHUB_OUTPUT`` is unset (not a GitHub Actions step) or the file cannot
            be written (exit 2).
    """
    name = env.get("GITHUB_OUTPUT")
    if not name:
        raise ConfigError(
            "--format github appends to the file GITHUB_OUTPUT names, and GITHUB_OUTPUT is not "
            "set: this is not a GitHub Actions step. Use --format lines or json here."
        )
    path = Path(name)
    try:
        with path.open("a", encoding="utf-8", newline="\n") as f:
            f.write(format_outputs(values))
    except OSError as exc:
        raise ConfigError(f"GITHUB_OUTPUT={name} cannot be written ({exc}).") from exc
    return path
