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
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import IO, Any

from ..errors import (
    EXIT_OK,
    VcreleaseError,
    redact_text,
    register_secret,
    register_url_credentials,
)

__all__ = [
    "EXIT_INTERNAL",
    "MaskedStream",
    "Parser",
    "VersionAction",
    "add_account_arguments",
    "error_json",
    "masked_output",
    "run_guarded",
    "seconds",
    "target_from_args",
]

EXIT_INTERNAL = 70
"""Exit code of an internal error: a bug in vcrelease (``VCRELEASE_DEBUG=1`` shows it)."""


class MaskedStream:
    """A text stream that passes every line through :func:`vcrelease.errors.redact_text`
    before writing it to ``stream`` (whole lines, so a secret split over two writes of one
    line is still masked, and each write's text is masked whole, so a secret split by a line
    break inside one message is too; :meth:`flush` writes a pending partial line)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            lines, _, self._pending = redact_text(self._pending).rpartition("\n")
            self._stream.write(lines + "\n")
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(redact_text(self._pending))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ... for rich
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_output() -> Iterator[None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`MaskedStream` (secrets known
    to :mod:`vcrelease.errors` never reach the terminal, a log or a JSON consumer)."""
    saved = sys.stdout, sys.stderr
    out, err = MaskedStream(sys.stdout), MaskedStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def error_json(prog: str, exit_code: int, kind: str, message: str) -> str:
    """The one JSON document of a ``--format json`` run that failed before its report."""
    import json  # not on the path of a plain `vcrelease version`

    return json.dumps(
        {
            "exit_code": exit_code,
            "error": {"program": prog, "type": kind, "message": redact_text(message)},
        },
        indent=2,
    )


def run_guarded(prog: str, command: Callable[[], int], *, json_errors: bool = False) -> int:
    """Run ``command``: a :class:`VcreleaseError` becomes its message and exit code, any other
    exception a one-paragraph internal error (exit 70; ``VCRELEASE_DEBUG=1`` re-raises).

    All output goes through :func:`masked_output`. With ``json_errors`` (``--format json``)
    an error raised before the report also prints one JSON document (:func:`error_json`) on
    stdout, so a script always gets one document.
    """
    with masked_output():
        return _run_guarded(prog, command, json_errors)


def _run_guarded(prog: str, command: Callable[[], int], json_errors: bool) -> int:
    def fail(code: int, kind: str, message: str, text: str) -> int:
        print(f"{prog}: {text}", file=sys.stderr)
        if json_errors:
            print(error_json(prog, code, kind, message))
        return code

    try:
        return command()
    except VcreleaseError as exc:
        return fail(exc.exit_code, type(exc).__name__, exc.message, f"error: {exc.message}")
    except BrokenPipeError:  # `... | head` closed stdout: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return fail(130, "KeyboardInterrupt", "interrupted", "interrupted")
    except Exception as exc:  # a bug: say so in one paragraph, no traceback by default
        if os.environ.get("VCRELEASE_DEBUG"):
            raise
        message = (
            f"{type(exc).__name__}: {redact_text(str(exc))}. This is a bug in vcrelease; run "
            "again with VCRELEASE_DEBUG=1 and report the traceback."
        )
        return fail(EXIT_INTERNAL, "InternalError", message, f"internal error: {message}")


class Parser(argparse.ArgumentParser):
    """argparse's parser whose help is formatted at the terminal's width (``COLUMNS``, else
    the terminal's, else 80: what ``shutil.get_terminal_size`` gives); its subparsers are
    of this class too (``add_subparsers`` makes them of the parser's own class).

    Why: without a width, argparse's formatter imports ``shutil`` (and with it ``bz2`` and
    ``lzma``, about 3 ms) the first time ``add_argument`` runs, on every start-up.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", partial(argparse.HelpFormatter, width=_width()))
        super().__init__(*args, **kwargs)
        self._json_errors = False

    def parse_known_args(  # type: ignore[override]
        self, args: Any = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse's, noting first whether the arguments ask for ``--format json`` (an
        argument error then also prints one JSON document on stdout: :meth:`error`)."""
        words = list(sys.argv[1:] if args is None else args)
        self._json_errors = any(
            w == "--format=json" or (w == "--format" and words[i + 1 : i + 2] == ["json"])
            for i, w in enumerate(words)
        )
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> Any:
        """argparse's usage message on stderr and exit 2; with ``--format json`` also the
        error document of :func:`error_json` on stdout, so a script always gets one."""
        if self._json_errors:
            print(error_json(self.prog, 2, "UsageError", message))
        super().error(redact_text(message))


def _width() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """The options vc-upload, promote and channel share for the target index: ``-r``, ``-u``,
    ``-p``, ``--config-file``, ``--format``, ``--no-progress``, ``--timeout``,
    ``--trusted-publishing``, ``--allow-volatile-index``."""
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
        type=seconds,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting for the index after this long without an answer (default 300)",
    )
    parser.add_argument(
        "--trusted-publishing",
        choices=("automatic", "always", "never"),
        default="automatic",
        help="with no password: mint an upload token from the CI's OIDC identity (automatic: "
        "PyPI and TestPyPI in GitHub Actions and GitLab CI; always: any https index)",
    )
    parser.add_argument(
        "--allow-volatile-index",
        action="store_true",
        help="upload to an index that says it replaces files (devpi volatile: true); refused "
        "by default",
    )


def seconds(text: str) -> float:
    """``--timeout``'s type: a finite number of seconds above zero.

    Raises:
        argparse.ArgumentTypeError: anything else (argparse's usage error, exit 2).
    """
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above zero (e.g. --timeout 60); 0, negative "
            "numbers, nan and inf cannot bound a wait"
        )
    return value


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
    command line does (``TWINE_*``, and ``VCRELEASE_INDEX_URL``). With no password and no
    ``.pypirc`` section named, an upload token may come from trusted publishing
    (:func:`vcrelease.publish.oidc.mint_upload_token`)."""
    from ..publish.target import resolve_target

    repository_url = repository_url or env.get("TWINE_REPOSITORY_URL")
    index_url = index_url or env.get("VCRELEASE_INDEX_URL")
    username = args.username or env.get("TWINE_USERNAME")
    password = args.password or env.get("TWINE_PASSWORD")
    register_secret(password, username=username)
    register_url_credentials(repository_url)
    register_url_credentials(index_url)
    if password is None and need_password and not (args.repository or env.get("TWINE_REPOSITORY")):
        from ..publish.oidc import mint_upload_token

        minted = mint_upload_token(
            repository_url, args.trusted_publishing, env, timeout=args.timeout
        )
        if minted is not None:
            username, password = minted.username, minted.token
    return resolve_target(
        repository_url=repository_url,
        repository_name=args.repository or env.get("TWINE_REPOSITORY"),
        index_url=index_url,
        username=username,
        password=password,
        config_file=args.config_file,
        need_password=need_password,
        progress=not args.no_progress and args.format == "table",
        timeout=args.timeout,
    )


class VersionAction(argparse.Action):
    """``--version``: prints ``PROG VERSION`` and exits, looking the version up only then
    (:data:`vcrelease.__version__` reads the installed metadata through
    ``importlib.metadata``, about 30 ms that every other run of the command would pay)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show the version and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from .. import __version__

        print(f"{parser.prog} {__version__}")  # on stdout, as argparse's own "version" action
        parser.exit()
