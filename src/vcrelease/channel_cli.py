"""``vcrelease channel``: rollback channels (indirection packages). Being written (issue 6)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from .errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease channel``."""
    parser.add_argument("name", help="the channel package, e.g. foo-stable")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``vcrelease channel``."""
    raise ConfigError("vcrelease channel is not available yet (issue 6).")
