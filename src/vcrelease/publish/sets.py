"""A co-released set: the rules for publishing several projects of one repository as one
as pure functions. The I/O is :mod:`vcrelease.publish.setupload` (the
index) and :func:`vcrelease.publish.buildinfo.set_members` (the repository).

The sources: "builds that produce multiple artifacts should publish all artifacts atomically"
and "no artifact should be promoted above the promotion level of any of its dependencies"
(the "Defend Against Fruit" continuous-deployment notes, ``docs/architecture.md``). Here:

- :func:`dependency_order`: a member whose ``Requires-Dist`` (core metadata, PEP 508) names
  another member goes after it, so an installer never sees a member whose sibling is not yet
  on the index; ties by name. A cycle is an error (exit 2) naming the projects.
- :func:`pin_disagreements` / :func:`check_pins`: every requirement of a member that names
  another member must accept that member's version in the set (``pkg-b`` pinning
  ``pkg-a==1.2.0`` next to ``pkg-a 1.3.0`` is not one set: stale files in ``dist/``), else
  exit 2 before any request.
- :func:`decide_set`: the release policy (:func:`vcrelease.publish.policy.decide`) for the
  set: every member's files must be what vcrelease computes for that project at HEAD (one
  commit), each member is decided with its own tags, and the set is uploaded only when every
  member may be; one refusal refuses the set, one skip skips it.
- :func:`sibling_pins`: for promotion, the exact pins (``name==V``, what ``pin-siblings``
  writes) a member carries to projects outside the promotion: ``V`` must already be on the
  target (:mod:`vcrelease.publish.promote`).

Project names are PEP 503 normalised throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from ..ci.context import BuildContext
from ..errors import EXIT_OK, EXIT_REFUSED, ConfigError
from .policy import Decision, RepoFacts, decide

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "MemberBuild",
    "SetMismatchError",
    "check_pins",
    "decide_set",
    "dependency_order",
    "exact_pin",
    "pin_disagreements",
    "sibling_pins",
]


class SetMismatchError(ConfigError):
    """The files are not one co-released set: a pin disagrees with a member's version, or the
    members depend on each other in a cycle (exit 2, usage: fix what is uploaded)."""


def _requirements(texts: Sequence[str]) -> list[Requirement]:
    # here, not at the top: a single project's upload reads no requirement (packaging's
    # requirement parser costs about 10 ms to import)
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for text in texts:
        try:
            out.append(Requirement(text))
        except InvalidRequirement:
            continue  # the plan's metadata check (twine) has seen the file; not ours to judge
    return out


def _name(requirement: Requirement) -> str:
    return str(canonicalize_name(requirement.name))


def dependency_order(requires: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The members in upload order: each after every member its requirements name.

    Args:
        requires: member name -> its ``Requires-Dist`` strings (PEP 508). Markers and
            specifiers do not matter here: naming a member is depending on it.

    Returns:
        Every member once; among members free to go, the name first in byte order.

    Raises:
        SetMismatchError: the members depend on each other in a cycle (exit 2), naming it.
    """
    after: dict[str, set[str]] = {
        member: {_name(r) for r in _requirements(texts)} & set(requires) - {member}
        for member, texts in requires.items()
    }
    order: list[str] = []
    left = dict(after)
    while left:
        ready = sorted(m for m, deps in left.items() if not deps - set(order))
        if not ready:
            raise SetMismatchError(
                f"The projects of the set depend on each other in a cycle "
                f"({' -> '.join(_cycle(left, set(order)))}), so no upload order puts every "
                "project after its dependencies. Break the cycle in the metadata "
                "([tool.vcrelease] dependencies), or upload these projects one at a time."
            )
        order.append(ready[0])
        del left[ready[0]]
    return tuple(order)


def _cycle(left: Mapping[str, set[str]], done: set[str]) -> list[str]:
    """One cycle among the members ``left`` (each has an undone dependency), closed."""
    path = [min(left)]
    while True:
        nxt = min(left[path[-1]] - done)
        if nxt in path:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)


def pin_disagreements(
    versions: Mapping[str, str], requires: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every requirement of a member that names another member and excludes that member's
    version in the set, as one sentence each (empty: the pins agree).

    Args:
        versions: member name -> its version (PEP 440).
        requires: member name -> its ``Requires-Dist`` strings.
    """
    problems = []
    for member in sorted(requires):
        for requirement in _requirements(requires[member]):
            other = _name(requirement)
            if other == member or other not in versions:
                continue
            if not requirement.specifier.contains(versions[other], prereleases=True):
                problems.append(
                    f"{member} {versions[member]} requires {requirement}, but the set holds "
                    f"{other} {versions[other]}"
                )
    return problems


def check_pins(versions: Mapping[str, str], requires: Mapping[str, Sequence[str]]) -> None:
    """:func:`pin_disagreements`, as an error.

    Raises:
        SetMismatchError: any requirement excludes its member's version (exit 2), naming
            both projects and both versions.
    """
    problems = pin_disagreements(versions, requires)
    if problems:
        raise SetMismatchError(
            f"The files are not one co-released set: {'; '.join(problems)}. Members built "
            "from one commit pin each other's versions at that commit (pin-siblings), so "
            "these files come from different builds (stale files in dist/?). Nothing was "
            "sent. Clean dist/, build every project of the set from one checkout, and upload "
            "those files."
        )


def exact_pin(requirement: Requirement) -> str | None:
    """The version of an exact pin (one ``==V`` clause, no wildcard: what ``pin-siblings``
    writes), else None."""
    clauses = list(requirement.specifier)
    if len(clauses) != 1 or clauses[0].operator != "==" or clauses[0].version.endswith(".*"):
        return None
    return clauses[0].version


def sibling_pins(
    versions: Mapping[str, str],
    requires: Mapping[str, Sequence[str]],
    *,
    all_markers: bool = True,
) -> dict[str, list[tuple[str, str]]]:
    """For each member, its exact pins (:func:`exact_pin`) of projects outside the set, as
    ``(project, version)``: the sibling releases that must already be at the target's level
    for the member to go there.

    Args:
        versions: member name -> version (the set being promoted).
        requires: member name -> its ``Requires-Dist`` strings.
        all_markers: keep a pin whose environment marker is false here (``--all-markers``);
            else only the pins this environment would install, as promotion's other
            dependency check does.
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for member in sorted(requires):
        for requirement in _requirements(requires[member]):
            other, pinned = _name(requirement), exact_pin(requirement)
            if pinned is None or other == member or other in versions:
                continue
            marker = requirement.marker
            if marker is not None and not all_markers and not marker.evaluate({"extra": ""}):
                continue
            out.setdefault(member, []).append((other, str(Version(pinned))))
    return out


@dataclass(frozen=True)
class MemberBuild:
    """One member of a set, as the release policy sees it.

    Attributes:
        project: PEP 503 normalised name.
        version: the version of its files.
        head_version: what vcrelease computes for the project at HEAD, from the project's own
            configuration (:func:`vcrelease.publish.buildinfo.set_members`).
        facts: HEAD, dirty files and this project's version tags.
        owns_ci_tag: the CI's tag (in a tag build) is a version tag of this project.
        directory: the project's directory relative to the work tree (for messages).
    """

    project: str
    version: str
    head_version: str
    facts: RepoFacts
    owns_ci_tag: bool = False
    directory: str = "."


def decide_set(
    context: BuildContext,
    members: Sequence[MemberBuild],
    *,
    allowed_branches: Sequence[str] = (),
    strict: bool = False,
) -> Decision:
    """The release policy for a set (module docstring).

    In order: a member whose files are not the version vcrelease computes for it at HEAD
    refuses the set (the members of a set come from one commit); in a tag build of one
    member's tag, every other member is decided as the build of its own release tag on HEAD
    (a co-released set carries all its tags on one commit; a member without one refuses the
    set: a tag build uploads releases only); then :func:`vcrelease.publish.policy.decide` per
    member. Any refusal refuses the set (exit 1), else any skip skips it (exit 0, 1 with
    ``strict``), else the set is uploaded.

    Raises:
        ValueError: a version is not PEP 440.
    """
    kinds = {("dev" if Version(m.version).is_devrelease else "release") for m in members}
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    for m in members:
        if Version(Version(m.version).public) != Version(Version(m.head_version).public):
            return Decision(
                "refuse",
                f"the files of {m.project} are {m.version}, but at HEAD "
                f"({m.facts.head[:12]}) vcrelease computes {m.head_version} for it "
                f"({m.directory}): the projects of a set must all be built from the commit "
                "being released. Build every project from this checkout (stale files in "
                "dist/?).",
                EXIT_REFUSED,
                kind,
            )
    tag_build = context.event == "tag" and context.tag is not None
    owner = next((m.project for m in members if m.owns_ci_tag), None) if tag_build else None
    decisions: list[tuple[MemberBuild, Decision]] = []
    for m in members:
        own = context
        if owner is not None and not m.owns_ci_tag:
            parsed = Version(m.version)
            tag = next((t for t, v in m.facts.head_tags if Version(v) == parsed), None)
            if tag is None:
                return Decision(
                    "refuse",
                    f"this is the tag build of {context.tag} ({owner}), and the set also holds "
                    f"{m.project} {m.version}, which no tag of {m.project} on HEAD names: a "
                    f"tag build uploads releases only. Tag {m.project} on this commit too (a "
                    f"co-released set), or upload {owner}'s files alone.",
                    EXIT_REFUSED,
                    kind,
                )
            own = context._replace(tag=tag)
        decisions.append(
            (m, decide(own, m.version, m.facts, allowed_branches=allowed_branches, strict=strict))
        )
    for wanted in ("refuse", "skip"):
        hit = [(m, d) for m, d in decisions if d.action == wanted]
        if hit:
            code = hit[0][1].exit_code if wanted == "skip" else EXIT_REFUSED
            return Decision(wanted, _reasons(hit, len(decisions)), code, kind)
    return Decision("upload", _reasons(decisions, len(decisions)), EXIT_OK, kind)


def _reasons(decided: Sequence[tuple[MemberBuild, Decision]], total: int) -> str:
    reasons = {d.reason for _, d in decided}
    if len(reasons) == 1 and len(decided) == total:
        return f"every project of the set: {reasons.pop()}"
    return "; ".join(f"{m.project} {m.version}: {d.reason}" for m, d in decided)
