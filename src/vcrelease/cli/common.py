"""What every command of the command line shares: the error guard and the target-index options.

:func:`run_guarded` turns exceptions into exit codes (those of :mod:`vcrelease.errors`, plus
:data:`EXIT_INTERNAL` for a bug). :func:`add_account_arguments` and :func:`target_from_args`
are the options of ``vc-upload``, ``vcrelease promote`` and ``vcrelease channel`` for the index
they write to, named and read from the environment as twine's command line does (twine
documentation, "twine upload": ``-r``, ``-u``, ``-p``, ``--config-file``, ``TWINE_*``).

Nothing heavy is imported here at module level (no twine, requests or rich): ``vcrelease
version`` imports this module too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import EXIT_OK, VcreleaseError, redact_text

__all__ = ["EXIT_INTERNAL", "add_account_arguments", "run_guarded", "target_from_args"]

EXIT_INTERNAL = 70
"""Exit code of an internal error: a bug in vcrelease (``VCRELEASE_DEBUG=1`` shows it)."""


def run_guarded(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``: a :class:`VcreleaseError` becomes its message and exit code, any other
    exception a one-paragraph internal error (exit 70; ``VCRELEASE_DEBUG=1`` re-raises)."""
    try:
        return command()
    except VcreleaseError as exc:
        print(f"{prog}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `... | head` closed stdout: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one paragraph, no traceback by default
        if os.environ.get("VCRELEASE_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {redact_text(str(exc))}. This is a "
            "bug in vcrelease; run again with VCRELEASE_DEBUG=1 and report the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """The options vc-upload, promote and channel share for the target index: ``-r``, ``-u``,
    ``-p``, ``--config-file``, ``--format``, ``--no-progress``, ``--timeout``."""
    parser.add_argument(
        "-r", "--repository", help="a section of .pypirc (env TWINE_REPOSITORY; default pypi)"
    )
    parser.add_argument("-u", "--username", help="env TWINE_USERNAME")
    parser.add_argument("-p", "--password", help="env TWINE_PASSWORD (prefer the variable)")
    parser.add_argument("--config-file", help="the .pypirc to read (default ~/.pypirc)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting for the index after this long without an answer (default 300)",
    )


def target_from_args(
    args: argparse.Namespace,
    env: Mapping[str, str],
    *,
    repository_url: str | None,
    index_url: str | None,
    need_password: bool,
) -> tuple[Any, Any]:
    """:func:`vcrelease.publish.upload.resolve_target` from the options of
    :func:`add_account_arguments`, each falling back to its environment variable as twine's
    command line does (``TWINE_*``, and ``VCRELEASE_INDEX_URL``)."""
    from ..publish.upload import resolve_target

    return resolve_target(
        repository_url=repository_url or env.get("TWINE_REPOSITORY_URL"),
        repository_name=args.repository or env.get("TWINE_REPOSITORY"),
        index_url=index_url or env.get("VCRELEASE_INDEX_URL"),
        username=args.username or env.get("TWINE_USERNAME"),
        password=args.password or env.get("TWINE_PASSWORD"),
        config_file=args.config_file,
        need_password=need_password,
        progress=not args.no_progress and args.format == "table",
    )
