"""Which number goes after ``.dev`` in a dev release: the rule behind ``dev-number``.

- ``distance``: commits since the tag (``1.2.4.dev3``), setuptools-scm's choice; the default
  outside CI. Two branches the same distance past a tag get the same version with different
  contents, so the second upload is refused.
- ``run``: the CI's run number (``1.2.4.dev1742``; GitHub ``GITHUB_RUN_NUMBER``, Travis
  ``TRAVIS_BUILD_NUMBER``, GitLab ``CI_PIPELINE_IID``, ...). The default in CI when the provider
  gives one: every run gets its own number, so two branches never share a dev version; numbers
  grow with every run, so versions grow along a branch; a re-run keeps its number, so it rebuilds
  the same version (and with ``SOURCE_DATE_EPOCH`` the same bytes: its upload is a skip).
- ``commit-time``: HEAD's committer time, UTC, as ``YYYYMMDDHHMMSS``
  (``1.2.4.dev20261121134502``). The default in CI when there is no run number: apart unless two
  branches commit in the same second; grows along a branch unless history is rewritten.

Only the dev number changes: an exact tag (distance 0) keeps the tag's version, and a dev
release still sorts after the last release and before the next (PEP 440, "Developmental
releases": ``1.2.3 < 1.2.4.dev1742 < 1.2.4``).
"""

from collections.abc import Mapping
from typing import NamedTuple

from ..ci.context import BuildContext
from ..errors import ConfigError
from ..git import Describe

__all__ = [
    "DEV_NUMBERS",
    "ENV_VARIABLE",
    "DevNumber",
    "choose_dev_number",
    "default_dev_number",
    "pick_dev_number",
    "with_dev_number",
]

DEV_NUMBERS = ("distance", "run", "commit-time")
ENV_VARIABLE = "VCRELEASE_DEV_NUMBER"


class DevNumber(NamedTuple):
    """The dev-number rule in effect and why (for ``vcrelease version --explain``).

    Attributes:
        rule: ``distance``, ``run`` or ``commit-time``.
        reason: where the rule comes from: ``VCRELEASE_DEV_NUMBER``,
            ``[tool.vcrelease] dev-number``, ``default in CI (<provider> gives a run number)``
            (or ``gives no run number``) or ``default outside CI``.
        run_number: the CI's run number when there is one, else None.
    """

    rule: str
    reason: str
    run_number: int | None = None


def default_dev_number(context: BuildContext) -> str:
    """``run`` in CI with a run number, ``commit-time`` in CI without one, else ``distance``."""
    if not context.is_ci:
        return "distance"
    return "run" if context.run_number is not None else "commit-time"


def pick_dev_number(
    configured: str | None, env: Mapping[str, str], context: BuildContext
) -> DevNumber:
    """The dev-number rule in effect and its reason: ``VCRELEASE_DEV_NUMBER``, else the
    configured ``dev-number``, else :func:`default_dev_number`.

    Raises:
        ConfigError: the variable names no rule (exit 2).
    """
    value = env.get(ENV_VARIABLE) or None
    if value is not None and value not in DEV_NUMBERS:
        raise ConfigError(
            f"{ENV_VARIABLE}={value!r} is not a dev-number rule. Use one of: "
            f"{', '.join(DEV_NUMBERS)}."
        )
    if value is not None:
        rule, reason = value, ENV_VARIABLE
    elif configured is not None:
        rule, reason = configured, "[tool.vcrelease] dev-number"
    else:
        rule = default_dev_number(context)
        reason = "default outside CI"
        if context.is_ci:
            given = (
                "gives a run number" if context.run_number is not None else "gives no run number"
            )
            reason = f"default in CI ({context.provider} {given})"
    return DevNumber(rule, reason, context.run_number)


def choose_dev_number(configured: str | None, env: Mapping[str, str], context: BuildContext) -> str:
    """The rule of :func:`pick_dev_number`, without its reason."""
    return pick_dev_number(configured, env, context).rule


def with_dev_number(state: Describe, rule: str, context: BuildContext) -> Describe:
    """``state`` with its distance replaced by the dev number of ``rule``, when past a tag
    (distance > 0); an exact tag is returned unchanged.

    ``run`` outside CI keeps the distance (there are no runs on a developer's machine, whose
    versions carry a local label anyway).

    Raises:
        ConfigError: ``run`` in a CI that gives no run number (exit 2).
    """
    if state.distance == 0 or rule == "distance":
        return state
    if rule == "run":
        if context.run_number is None and not context.is_ci:
            return state  # a developer's machine has no runs: the distance, as setuptools-scm
        if context.run_number is None:
            raise ConfigError(
                f"dev-number is 'run', but this build ({context.provider}) has no run number. "
                "Use dev-number = 'commit-time' here, or set it only for CI "
                f"({ENV_VARIABLE}=run in the CI configuration)."
            )
        return state._replace(distance=context.run_number)
    return state._replace(distance=int(state.commit_time.strftime("%Y%m%d%H%M%S")))
