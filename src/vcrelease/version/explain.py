"""The lines of ``vcrelease version --explain`` (and of a build under
``SETUPTOOLS_SCM_DEBUG``): what :func:`~vcrelease.version.resolve.resolve_version` applied and
the repository state it read, from the :class:`~vcrelease.version.resolve.VersionResult`
alone: nothing is worked out again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .devnumber import DevNumber
    from .resolve import VersionResult

__all__ = ["explain"]


def explain(result: VersionResult) -> list[str]:
    """The lines of ``--explain``: what :func:`~vcrelease.version.resolve.resolve_version`
    applied (``result.applied``) and the repository state it read; nothing is recomputed."""
    config = result.config
    applied = result.applied  # what resolve_version used: nothing is worked out again here
    if applied is None:
        schemes = f"none applied (the {result.source} version is used as it is)"
    else:
        local = applied.local_scheme
        if applied.local_scheme_by_context is not None:
            local += f" ({applied.local_scheme_by_context})"
        schemes = f"version-scheme={applied.version_scheme} local-scheme={local}"
    lines = [
        f"version: {result.version}",
        f"source: {result.source} ({result.detail})",
        f"schemes: {schemes}",
        f"tag-pattern: {config.tag_pattern.pattern}",
    ]
    lines.extend(result.notes)
    state = result.describe
    if state is None:
        return lines
    if state.candidates:
        lines.append("version tags reached from HEAD (nearest first):")
        winner = next((c for c in state.candidates if c.name == state.tag), None)
        for c in state.candidates:
            mark = "*" if c is winner else " "
            note = ""
            if winner is None or c is winner or c.commit != winner.commit:
                pass
            elif _same_version(c.version, winner.version):
                note = f" (same commit, same version: {winner.name} is first in byte order)"
            else:
                note = f" (same commit: {winner.name} is the higher version)"
            back = f"{c.distance} commits back{note}"
            lines.append(f"  {mark} {c.name} -> {c.version}, {back}")
    else:
        lines.append(f"no version tag reached from HEAD; counting all {state.distance} commits")
    lines.append(f"winner: {state.tag or '(none)'}; distance: {state.distance}")
    if state.scope is not None:
        since = f"since {state.tag}" if state.tag else "reachable from HEAD"
        lines.append(
            f"distance-scope: {state.scope.describe()}: {state.distance} of the "
            f"{state.unscoped_distance} commits {since} touch it; the dirty state counts "
            "only tracked files under it"
        )
    if applied is not None:
        lines.append(f"dev number: {_dev_rule(applied.dev_number)}")
    lines.append(f"node: {state.node}; branch: {state.branch or '(detached HEAD)'}")
    lines.append(f"shallow: {'yes' if state.shallow else 'no'}")
    if state.dirty_files:
        lines.append("dirty, these tracked files differ from HEAD:")
        lines.extend(f"  {name}" for name in state.dirty_files)
    else:
        lines.append("clean: no tracked file differs from HEAD")
    return lines


def _same_version(a: str, b: str) -> bool:
    from packaging.version import Version  # the candidates' versions parsed already

    return Version(a) == Version(b)


def _dev_rule(dev_number: DevNumber) -> str:
    run = dev_number.run_number
    number = ""
    if dev_number.rule == "run":  # outside CI there are no runs: the distance stays
        number = f" (run {run})" if run is not None else " (no run number: the distance)"
    return f"{dev_number.rule}{number}, from {dev_number.reason}"
