"""The options of an upload run, one record for every entry point (``vc-upload``, ``vcrelease
promote``, ``vcrelease channel``; one project or a set), and the clock its pauses go through.

The guarded upload pauses (the settle readings, :data:`.upload.SETTLE_PAUSE` apart; the wait
before a guarded verification, :func:`.upload.confirm_pause`) through a :class:`Clock`, so
that a test can pass one that advances when asked to sleep instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock", "UploadOptions"]


class Clock(Protocol):
    """Where an upload run reads the time and waits (seconds, monotonic)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (0 or more)."""
        ...


class SystemClock:
    """:class:`Clock` of the process: ``time.monotonic`` and ``time.sleep``."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``."""
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


def _silent(_text: str) -> None:
    """The default log: say nothing."""


@dataclass(frozen=True)
class UploadOptions:
    """How an upload runs (the index and its timeout are the :class:`.target.Target`'s).

    Attributes:
        dry_run: stop after the preflight; nothing is sent.
        quiet_stdout: twine's progress goes to stderr (``--format json`` keeps stdout for
            the report).
        log: where each step is said (``--verbose``: stderr); default nowhere.
        dev_rule: the dev-number rule in force (``distance``, ``run``, ``commit-time``), for
            the likeliest cause in a refusal's message; None when unknown.
        allow_volatile: upload to an index that says it replaces files (devpi
            ``volatile: true``; ``--allow-volatile-index``).
        clock: where the run's pauses go (:class:`Clock`).
    """

    dry_run: bool = False
    quiet_stdout: bool = False
    log: Callable[[str], None] = _silent
    dev_rule: str | None = None
    allow_volatile: bool = False
    clock: Clock = field(default=SYSTEM_CLOCK, compare=False)
