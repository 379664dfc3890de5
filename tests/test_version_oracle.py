"""Our default schemes and tag parsing (``vcrelease.version.defaults``) against vcs-versioning.

vcs-versioning is the oracle: on the same drawn input (tags of every PEP 440 shape, ``v`` and
``name-`` prefixes, non-versions, custom tag regexes; distances, dirty flags, nodes, dates,
branches) both must give the same version, or both refuse it. The budget comes from the
hypothesis profile (``tests/conftest.py``: ``ci`` by default, ``VCRELEASE_FUZZ=1`` or
``nox -s fuzz`` for many more examples).

And in a fresh interpreter: ``vcrelease version`` with the defaults never imports
vcs-versioning (start-up time), while another scheme still goes through it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gitutil import git, new_repo
from vcrelease.config import DEFAULT_TAG_PATTERN
from vcrelease.git import Describe
from vcrelease.version import defaults, fallbacks, formatting

INTENDED_DIFFERENCES: dict[str, str] = {}
"""Inputs on which we answer differently from vcs-versioning on purpose, with the reason.

None today: every rule of the default schemes and the tag parsing is vcs-versioning 2.6's,
quirks included (a tag's local part loses repeated segments, ``1.0+a.a`` -> ``1.0+a``; a dirty
tree at a tag gets ``.dev0``). Error messages are ours (they say the fix), so errors are
compared by type only. An entry here is ``input -> reason``; :func:`test_intended_differences`
fails when such an input stops differing, so the list cannot go stale."""

TAG_PATTERNS = [
    DEFAULT_TAG_PATTERN,
    r"^v(?P<version>.*)$",  # may match an empty group: vcs-versioning raises, we say None
    r"^pkg-a/v(\d.*)$",  # one unnamed group
    r"^(?P<name>[a-z]+)-(?P<version>[^+]*)(?P<rest>\+.*)?$",  # several groups
    r"(?i)^RELEASE[-_](?P<version>\d[\w.!+-]*)",  # no $: what follows the match is ignored
]

# --- strategies --------------------------------------------------------------------------------

_numbers = st.integers(0, 12).map(str) | st.sampled_from(["00", "01", "007", "2024", "99999"])
_seps = st.sampled_from(["", ".", "-", "_"])


@st.composite
def version_texts(draw: st.DrawFn) -> str:
    """Text shaped like a version: epoch, 1-4 release parts, pre, post, dev, local, in the
    spellings PEP 440 normalises ("Normalization") and some it refuses."""
    text = ""
    if draw(st.booleans()) and draw(st.booleans()):
        text += f"{draw(_numbers)}!"
    text += ".".join(draw(st.lists(_numbers, min_size=1, max_size=4)))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A"]))
        text += draw(_seps) + kind + draw(st.sampled_from(["", "0", "1", "2", "11"]))
    if draw(st.booleans()):
        text += draw(
            st.sampled_from([".post1", ".post0", "post2", "-1", ".post", "-r3", ".rev4", ".post1"])
        )
    if draw(st.booleans()):
        text += draw(st.sampled_from([".dev0", ".dev0", ".dev3", "dev", "-dev0", ".dev"]))
    if draw(st.booleans()):
        text += draw(
            st.sampled_from(
                ["+abc.5", "+g1234567", "+local", "+a.a", "+A-B_c", "+05", "+", "+bad!", "+a..b"]
            )
        )
    return text


@st.composite
def tag_names(draw: st.DrawFn) -> str:
    """Version tags with and without prefixes, and things that are no version tag."""
    prefix = draw(
        st.sampled_from(["", "", "v", "V", "name-", "my-pkg-", "my_pkg-v", "pkg-a/v", "release-"])
    )
    shaped = prefix + draw(version_texts())
    noise = st.text(alphabet="0123456789.vV-_+!abcdefrpost ", max_size=14)
    words = st.sampled_from(["release", "latest", "v", "1.x", "", "nightly-2024", "v1.2.3-rc.1"])
    return draw(st.one_of(st.just(shaped), noise, words, st.text(max_size=8)))


MAY_6 = datetime(2026, 5, 6, tzinfo=timezone.utc)
A40, B40 = "a" * 40, "b" * 40

nodes = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
) | st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([timezone(timedelta(hours=-11)), timezone(timedelta(hours=13))]),
)
distances = st.integers(0, 3) | st.integers(0, 10**6) | st.integers(10**13, 10**14)
branches = st.none() | st.sampled_from(["main", "release-1.2", "feature/x"]) | st.text(max_size=10)


def _vcs_tag_to_version(name: str, pattern: re.Pattern[str]) -> str | None:
    """The tag parsing vcrelease used through vcs-versioning (``tag_to_version``)."""
    from vcs_versioning import Configuration, TagConfiguration, VcsEnvironment
    from vcs_versioning._scm_version import tag_to_version

    env = VcsEnvironment.from_env("VCRELEASE", env={})
    config = Configuration(tag=TagConfiguration(regex=pattern), _env=env)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            version = tag_to_version(name, config)
        except ValueError:
            return None
    return None if version is None else str(version)


def _state(
    tag_version: str | None, distance: int, dirty: bool, node: str, branch: str | None
) -> Describe:
    return Describe(
        tag=None if tag_version is None else f"v{tag_version}",
        tag_version=tag_version,
        distance=distance,
        node=node,
        dirty=dirty,
        dirty_files=("a.txt",) if dirty else (),
        branch=branch,
        commit_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        shallow=False,
    )


def _outcome(function: object, *args: object, **kwargs: object) -> str:
    """The result, or the exception's type (messages differ on purpose: ours say the fix)."""
    assert callable(function)
    try:
        return str(function(*args, **kwargs))
    except ValueError as exc:
        return f"error: {type(exc).__name__}"


# --- tag parsing -------------------------------------------------------------------------------


@given(name=tag_names(), pattern=st.sampled_from(TAG_PATTERNS))
@example(name="v1.2.3", pattern=DEFAULT_TAG_PATTERN)
@example(name="name-1.2.3", pattern=DEFAULT_TAG_PATTERN)
@example(name="1.0+build.5", pattern=DEFAULT_TAG_PATTERN)
@example(name="1.0+bad!", pattern=DEFAULT_TAG_PATTERN)
@example(name="v", pattern=r"^v(?P<version>.*)$")
@example(name="release", pattern=DEFAULT_TAG_PATTERN)
@example(name="V1.0-RC1", pattern=DEFAULT_TAG_PATTERN)
def test_tag_parsing_agrees_with_vcs_versioning(name: str, pattern: str) -> None:
    regex = re.compile(pattern)
    ours = formatting.tag_parser(regex)(name)
    assert ours == _vcs_tag_to_version(name, regex), (name, pattern)


# --- formatting: each default scheme pair ----------------------------------------------------


@st.composite
def tag_versions(draw: st.DrawFn) -> str | None:
    """None (no tag) or what our parser gives for a drawn tag (what formatting is handed)."""
    if draw(st.integers(0, 9)) == 0:
        return None
    parsed = defaults.tag_to_version(draw(tag_names()), re.compile(DEFAULT_TAG_PATTERN))
    return parsed if parsed is not None else draw(st.sampled_from(["1.2.3", "0.1", "2!1.0"]))


@given(
    tag_version=tag_versions(),
    distance=distances,
    dirty=st.booleans(),
    node=nodes,
    branch=branches,
    now=times,
    local_scheme=st.sampled_from(defaults.LOCAL_SCHEMES),
)
@example("1.2.3", 0, False, A40, "main", MAY_6, "node-and-date")
@example("1.2.3", 0, True, A40, "main", MAY_6, "node-and-date")
@example("1.0.dev3", 2, False, A40, None, MAY_6, "node-and-date")
@example("1.0+a.a", 0, False, A40, None, MAY_6, "no-local-version")
@example("1.0+gaaaaaaaaa", 3, True, A40, None, MAY_6, "node-and-date")
@example(None, 0, True, B40, None, MAY_6, "node-and-date")
def test_default_schemes_agree_with_vcs_versioning(
    tag_version: str | None,
    distance: int,
    dirty: bool,
    node: str,
    branch: str | None,
    now: datetime,
    local_scheme: str,
) -> None:
    state = _state(tag_version, distance, dirty, node, branch)
    kwargs = {"version_scheme": "guess-next-dev", "local_scheme": local_scheme, "now": now}
    ours = _outcome(formatting.format_version, state, **kwargs)
    theirs = _outcome(formatting.format_with_vcs_versioning, state, **kwargs)
    assert ours == theirs, (state, local_scheme, now)


@given(name=st.text(max_size=20) | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,15}\Z"))
@example(name="My.Pkg__x--y")
def test_pretend_variable_agrees_with_vcs_versioning(name: str) -> None:
    from vcs_versioning._overrides import env_var_name

    assert fallbacks.pretend_variable(name) == env_var_name("VCRELEASE", "PRETEND_VERSION", name)
    assert fallbacks.pretend_variable(None) == env_var_name("VCRELEASE", "PRETEND_VERSION")


def test_known_answers() -> None:
    """A few answers by hand, so a change of both sides at once is still seen."""
    now = datetime(2026, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    node = "0123456789abcdef0123456789abcdef01234567"

    def fmt(tag: str | None, distance: int, dirty: bool, local: str = "node-and-date") -> str:
        state = _state(tag, distance, dirty, node, "main")
        return formatting.format_version(
            state, version_scheme="guess-next-dev", local_scheme=local, now=now
        )

    assert fmt("1.2.3", 0, False) == "1.2.3"
    assert fmt("1.2.3", 5, False) == "1.2.4.dev5+g012345678"
    assert fmt("1.2.3", 5, True) == "1.2.4.dev5+g012345678.d20260506"
    assert fmt("1.2.3", 0, True) == "1.2.4.dev0+g012345678.d20260506"
    assert fmt("1.2.3", 5, True, "no-local-version") == "1.2.4.dev5"
    assert fmt(None, 0, False) == "0.0"
    assert fmt(None, 7, False, "no-local-version") == "0.1.dev7"
    assert fmt("1.0rc1", 2, False, "no-local-version") == "1.0rc2.dev2"
    assert fmt("1!2.0.post1", 2, False, "no-local-version") == "1!2.0.post2.dev2"
    assert fmt("1.0.dev0", 2, False, "no-local-version") == "1.0.dev2"
    assert fmt("1.0+build.5", 2, False) == "1.1.dev2+build.5.g012345678"
    with pytest.raises(ValueError, match="dev"):
        fmt("1.0.dev3", 2, False)
    parse = formatting.tag_parser(re.compile(DEFAULT_TAG_PATTERN))
    assert [parse(t) for t in ("v1.2.3", "name-1.2.3", "1.0+bad!", "release")] == [
        "1.2.3",
        "1.2.3",
        "1.0",
        None,
    ]


def test_intended_differences() -> None:
    """Each listed difference still differs (else it is no longer intended: remove it)."""
    for case, reason in INTENDED_DIFFERENCES.items():
        name, pattern = case.split("\0")
        regex = re.compile(pattern)
        ours = formatting.tag_parser(regex)(name)
        assert ours != _vcs_tag_to_version(name, regex), f"{case!r} agrees now: {reason}"


# --- start-up: no vcs-versioning on the default path --------------------------------------------


def _tagged_repo(path: Path, pyproject: str) -> Path:
    return new_repo(path, pyproject=pyproject, tags=["v1.2.3"], commits_after_tag=1)


_PROBE = """\
import sys
from vcrelease.cli import main
code = main(["version", sys.argv[1]])
print("vcs_versioning loaded:", any(m.split(".")[0] == "vcs_versioning" for m in sys.modules))
sys.exit(code)
"""


def _probe(repo: Path) -> list[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCRELEASE_", "SETUPTOOLS"))}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(repo)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("local", ["", 'local-scheme = "no-local-version"\n'])
def test_default_version_never_imports_vcs_versioning(tmp_path: Path, local: str) -> None:
    repo = _tagged_repo(tmp_path / "r", f'[project]\nname = "demo"\n[tool.vcrelease]\n{local}')
    head = git(repo, "rev-parse", "HEAD")
    version, loaded = _probe(repo)
    assert version == ("1.2.4.dev1" if local else f"1.2.4.dev1+g{head[:9]}")
    assert loaded == "vcs_versioning loaded: False"


def test_other_scheme_still_goes_through_vcs_versioning(tmp_path: Path) -> None:
    repo = _tagged_repo(tmp_path / "r", '[tool.vcrelease]\nversion-scheme = "no-guess-dev"\n')
    version, loaded = _probe(repo)
    assert version.startswith("1.2.3.post1.dev1+g")
    assert loaded == "vcs_versioning loaded: True"


VCS_VERSIONING_PRIVATE = {"_scm_version": "meta", "_version_schemes": "format_version"}
"""vcs-versioning's private modules and names ``version/formatting.py`` uses."""


def test_vcs_versionings_private_names_exist_and_only_formatting_uses_them() -> None:
    """The installed vcs-versioning (within the bound of ``pyproject.toml``) still has the
    private names :mod:`vcrelease.version.formatting` uses, and no other module imports a
    private module of it."""
    import importlib
    import re
    from pathlib import Path

    for module, name in VCS_VERSIONING_PRIVATE.items():
        assert hasattr(importlib.import_module(f"vcs_versioning.{module}"), name), (module, name)
    source = Path(__file__).resolve().parent.parent / "src" / "vcrelease"
    users = {
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if re.search(
            r"^\s*from vcs_versioning\._|^\s*import vcs_versioning\._",
            path.read_text("utf-8"),
            re.M,
        )
    }
    assert users == {"version/formatting.py"}
