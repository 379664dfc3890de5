"""The one git-config reader (:mod:`vcrelease.git.gitconfig`) against ``git config --get``:
scopes, includes and every ``includeIf`` condition, worktree config, the command scope and
git's boolean and integer syntax (``git-config``, "CONFIGURATION FILE", "Includes",
"Conditional includes", "ENVIRONMENT"). Each table row is a repository the test makes, with
``HOME`` and the ``GIT_CONFIG_*`` variables pointed at the test's own files; git and vcrelease
read it under the same environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitutil import ENV
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError
from vcrelease.git.repository import GitRepo

KEY = "test.value"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``HOME`` of this test (no ``GIT_CONFIG_GLOBAL``: git reads ``~/.gitconfig`` there),
    a repository at ``HOME/work/r`` with one commit on ``main``; no system config."""
    for name in [k for k in os.environ if k.startswith("GIT_") or k == "XDG_CONFIG_HOME"]:
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(name, ENV[name])
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", ENV["GIT_COMMITTER_EMAIL"])
    repo = home / "work" / "r"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "f.txt").write_text("f\n")
    subprocess.run(["git", "add", "f.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "c"], cwd=repo, check=True)
    return home


def git_get(repo: Path, key: str, *options: str) -> str | None:
    """``git config --get [OPTIONS] KEY`` in ``repo`` under this process's environment: the
    value, None when unset; ``RuntimeError`` when git refuses."""
    done = subprocess.run(
        ["git", "config", *options, "--get", key], cwd=repo, capture_output=True, text=True
    )
    if done.returncode == 1:
        return None
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.rstrip("\n")


def ours_get(repo: Path, key: str) -> str | None:
    section, _, rest = key.partition(".")
    sub, dot, name = rest.rpartition(".")
    with GitRepo.open(repo) as opened:
        found = opened.config.get(
            section.lower().encode(), sub.encode() if dot else None, name.lower().encode()
        )
    if found is None:
        return None
    return "true" if found.value is None else found.value.decode()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


Setup = Callable[[Path, Path, pytest.MonkeyPatch], None]


def _include_relative(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(repo / ".git" / "extra.cfg", "[test]\n\tvalue = relative\n")
    with open(repo / ".git" / "config", "a") as f:
        f.write("[include]\n\tpath = extra.cfg\n")


def _include_home(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(home / "inc.cfg", "[test]\n\tvalue = from-home\n")
    write(home / ".gitconfig", "[include]\n\tpath = ~/inc.cfg\n")


def _include_missing(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(home / ".gitconfig", "[test]\n\tvalue = kept\n[include]\n\tpath = ~/nothing.cfg\n")


def _gitdir(pattern: str) -> Setup:
    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        write(home / "cond.cfg", "[test]\n\tvalue = conditional\n")
        write(home / ".gitconfig", f'[includeIf "{pattern}"]\n\tpath = ~/cond.cfg\n')

    return setup


def _onbranch(pattern: str, branch: str) -> Setup:
    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        subprocess.run(["git", "checkout", "-qb", branch], cwd=repo, check=True)
        write(home / "cond.cfg", "[test]\n\tvalue = on-branch\n")
        with open(repo / ".git" / "config", "a") as f:
            f.write(f'[includeIf "onbranch:{pattern}"]\n\tpath = {home}/cond.cfg\n')

    return setup


def _hasconfig(url: str, glob: str = "https://example.invalid/**") -> Setup:
    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        subprocess.run(["git", "remote", "add", "origin", url], cwd=repo, check=True)
        write(home / "cond.cfg", "[test]\n\tvalue = has-remote\n")
        condition = f"hasconfig:remote.*.url:{glob}"
        write(home / ".gitconfig", f'[includeIf "{condition}"]\n\tpath = ~/cond.cfg\n')

    return setup


def _worktree_config(extension: bool) -> Setup:
    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        write(repo / ".git" / "config.worktree", "[test]\n\tvalue = per-worktree\n")
        if extension:
            subprocess.run(["git", "config", "extensions.worktreeConfig", "true"], cwd=repo)

    return setup


def _nosystem(value: str) -> Setup:
    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        write(home / "system.cfg", "[test]\n\tvalue = system\n")
        mp.setenv("GIT_CONFIG_SYSTEM", str(home / "system.cfg"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", value)

    return setup


def _xdg_then_home(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(home / ".config" / "git" / "config", "[test]\n\tvalue = xdg\n")
    write(home / ".gitconfig", "[test]\n\tvalue = dot-gitconfig\n")


def _xdg_only(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(home / "x" / "git" / "config", "[test]\n\tvalue = xdg-variable\n")
    mp.setenv("XDG_CONFIG_HOME", str(home / "x"))


def _global_variable(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    write(home / ".gitconfig", "[test]\n\tvalue = not-read\n")
    write(home / "g.cfg", "[test]\n\tvalue = global-variable\n")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / "g.cfg"))


def _command_scope(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "config", KEY, "local"], cwd=repo, check=True)
    mp.setenv("GIT_CONFIG_COUNT", "1")
    mp.setenv("GIT_CONFIG_KEY_0", KEY)
    mp.setenv("GIT_CONFIG_VALUE_0", "from-count")


def _parameters_win(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    _command_scope(home, repo, mp)
    mp.setenv("GIT_CONFIG_PARAMETERS", "'test.value'='it'\\''s the parameters'")


def _subsection_case(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
    with open(repo / ".git" / "config", "a") as f:
        f.write('[Test "Sub"]\n\tValue = exact\n[test "sub"]\n\tvalue = lower\n')


CASES: dict[str, tuple[Setup, str]] = {
    "include_relative_to_the_including_file": (_include_relative, KEY),
    "include_home": (_include_home, KEY),
    "include_missing_file_skipped": (_include_missing, KEY),
    "includeif_gitdir_trailing_slash": (_gitdir("gitdir:work/"), KEY),
    "includeif_gitdir_no_match": (_gitdir("gitdir:other/"), KEY),
    "includeif_gitdir_is_case_sensitive": (_gitdir("gitdir:WORK/"), KEY),
    "includeif_gitdir_i": (_gitdir("gitdir/i:WORK/"), KEY),
    "includeif_gitdir_home": (_gitdir("gitdir:~/work/r/.git"), KEY),
    "includeif_gitdir_dot_relative": (_gitdir("gitdir:./work/"), KEY),
    "includeif_gitdir_absolute_star": (_gitdir("gitdir:/**/r/.git"), KEY),
    "includeif_gitdir_not_the_work_tree": (_gitdir("gitdir:~/work/r"), KEY),
    "includeif_onbranch": (_onbranch("main2", "main2"), KEY),
    "includeif_onbranch_other": (_onbranch("main", "main2"), KEY),
    "includeif_onbranch_trailing_slash": (_onbranch("feat/", "feat/x/y"), KEY),
    "includeif_onbranch_star_stops_at_slash": (_onbranch("feat/*", "feat/x/y"), KEY),
    "includeif_hasconfig_remote_url": (_hasconfig("https://example.invalid/a/b.git"), KEY),
    "includeif_hasconfig_no_match": (_hasconfig("https://other.invalid/a.git"), KEY),
    "includeif_hasconfig_star_stops_at_slash": (
        _hasconfig("https://example.invalid/a/b.git", "https://example.invalid/*"),
        KEY,
    ),
    "worktree_config_without_extension": (_worktree_config(False), KEY),
    "worktree_config_with_extension": (_worktree_config(True), KEY),
    "nosystem_0_reads_the_system_file": (_nosystem("0"), KEY),
    "nosystem_false_reads_the_system_file": (_nosystem("false"), KEY),
    "nosystem_empty_reads_the_system_file": (_nosystem(""), KEY),
    "nosystem_1_skips_it": (_nosystem("1"), KEY),
    "nosystem_yes_skips_it": (_nosystem("yes"), KEY),
    "xdg_then_dot_gitconfig": (_xdg_then_home, KEY),
    "xdg_config_home": (_xdg_only, KEY),
    "git_config_global_replaces_both": (_global_variable, KEY),
    "command_scope_count": (_command_scope, KEY),
    "command_scope_parameters_after_count": (_parameters_win, KEY),
    "subsection_case_kept": (_subsection_case, "test.Sub.value"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_is_gits(name: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup, key = CASES[name]
    repo = home / "work" / "r"
    setup(home, repo, monkeypatch)
    assert ours_get(repo, key) == git_get(repo, key)


def test_the_table_finds_what_it_looks_for(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The conditions above that git follows give a value (the table is not all None)."""
    repo = home / "work" / "r"
    _gitdir("gitdir:work/")(home, repo, monkeypatch)
    assert git_get(repo, KEY) == "conditional"


def test_include_loop_is_refused_as_git_refuses_it(home: Path) -> None:
    repo = home / "work" / "r"
    write(home / "a.cfg", "[include]\n\tpath = b.cfg\n")
    write(home / "b.cfg", "[include]\n\tpath = a.cfg\n")
    write(home / ".gitconfig", "[include]\n\tpath = ~/a.cfg\n")
    with pytest.raises(RuntimeError, match="include depth"):
        git_get(repo, KEY)
    with pytest.raises(RepositoryError, match="more than 10 levels"):
        ours_get(repo, KEY)


def test_a_bad_line_is_refused_as_git_refuses_it(home: Path) -> None:
    repo = home / "work" / "r"
    write(home / ".gitconfig", "[test]\n\tvalue # no equals sign\n")
    with pytest.raises(RuntimeError, match="bad config line 2"):
        git_get(repo, KEY)
    with pytest.raises(RepositoryError, match=r"\.gitconfig: line 2"):
        ours_get(repo, KEY)


BOOLEANS = [
    "true", "yes", "On", "TRUE", "false", "no", "off", "", "0", "1", "-1", "+0", "0x0", "0X1",
    "0k", "1k", "1m", "1g", "3g", "0x", "08", "017", "1kb", "2147483647", "2147483648",
    "-2147483647", "-2147483648", "tru", " 1", "1 ", " true", None,
]  # fmt: skip
"""Values of ``core.fileMode``, written quoted (None: a key without ``=``)."""


@pytest.mark.parametrize("value", BOOLEANS, ids=repr)
def test_boolean_is_gits(value: str | None, home: Path) -> None:
    repo = home / "work" / "r"
    line = "\tfilemode\n" if value is None else f'\tfilemode = "{value}"\n'
    with open(repo / ".git" / "config", "a") as f:
        f.write(f"[core]\n{line}")
    try:
        expected: bool | str = git_get(repo, "core.filemode", "--type=bool") == "true"
    except RuntimeError as exc:
        expected = "bad boolean config value" in str(exc) and "refused"
    with GitRepo.open(repo) as opened:
        try:
            got: bool | str = opened.config.boolean(b"core", b"filemode", True)
        except RepositoryError as exc:
            got = "core.filemode" in str(exc) and ".git/config" in str(exc) and "refused"
    assert got == expected


_VALUE_TEXT = st.text(st.sampled_from(list(' \t"\\#;abc=x01-kK\n[]')), max_size=12)
EXAMPLES = 60 if settings().max_examples <= 2000 else 5000
"""One ``git config`` process per example: a small budget in CI, many under ``nox -s fuzz``."""


def _listed(data: bytes) -> list[bytes] | None:
    """``git config --list -z`` of config text, as :func:`parse_text` reads it; None when it
    refuses the text."""
    from vcrelease.git.configfile import parse_text

    try:
        entries = parse_text(data, "-")
    except RepositoryError:
        return None
    out = []
    for section, sub, name, value in entries:
        key = b".".join([section, name] if sub is None else [section, sub, name])
        out.append(key if value is None else key + b"\n" + value)
    return out


@settings(max_examples=EXAMPLES)
@given(st.lists(_VALUE_TEXT, min_size=1, max_size=6))
def test_parser_reads_config_text_as_git(texts: list[str]) -> None:
    """Random text after ``key<n> =`` (quotes, escapes, comments, continued lines, new
    sections): the same keys and values as ``git config --list``, or both refuse it."""
    data = "[s]\n" + "".join(f"\tkey{i} = {text}\n" for i, text in enumerate(texts))
    done = subprocess.run(
        ["git", "config", "--file", "-", "--list", "-z"],
        input=data.encode(),
        capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
        check=False,
    )
    theirs = None if done.returncode else [x for x in done.stdout.split(b"\0") if x]
    assert _listed(data.encode()) == theirs


def test_parse_bool_words_are_not_stripped() -> None:
    from vcrelease.git.configfile import parse_bool

    assert parse_bool(b" true") is None
    assert parse_bool(b"0x0") is False
    assert parse_bool(None) is True


def _file_mode_false_in(where: str) -> Setup:
    """``core.fileMode = false`` (spelled as git reads it) put where the case says."""

    def setup(home: Path, repo: Path, mp: pytest.MonkeyPatch) -> None:
        text = "[core]\n\tfileMode = false\n"
        if where == "local_0x0":
            subprocess.run(["git", "config", "core.fileMode", "0x0"], cwd=repo, check=True)
        elif where == "local_0k":
            subprocess.run(["git", "config", "core.fileMode", "0k"], cwd=repo, check=True)
        elif where in ("worktree_without_extension", "worktree_with_extension"):
            write(repo / ".git" / "config.worktree", text)
            if where == "worktree_with_extension":
                subprocess.run(["git", "config", "extensions.worktreeConfig", "1"], cwd=repo)
        elif where.startswith("system_nosystem_"):
            write(home / "system.cfg", text)
            mp.setenv("GIT_CONFIG_SYSTEM", str(home / "system.cfg"))
            mp.setenv("GIT_CONFIG_NOSYSTEM", where.rpartition("_")[2])
        elif where == "includeif_gitdir":
            write(home / "cond.cfg", text)
            write(home / ".gitconfig", '[includeIf "gitdir:work/"]\n\tpath = cond.cfg\n')
        elif where == "includeif_onbranch":
            write(home / "cond.cfg", text)
            write(home / ".gitconfig", '[includeIf "onbranch:ma*"]\n\tpath = cond.cfg\n')
        elif where == "command_parameters":
            mp.setenv("GIT_CONFIG_PARAMETERS", "'core.filemode'='off'")
        else:
            raise AssertionError(where)

    return setup


FILE_MODE_CASES = [
    "local_0x0",
    "local_0k",
    "worktree_without_extension",
    "worktree_with_extension",
    "system_nosystem_0",
    "system_nosystem_1",
    "system_nosystem_no",
    "includeif_gitdir",
    "includeif_onbranch",
    "command_parameters",
]


@pytest.mark.parametrize("where", FILE_MODE_CASES)
def test_file_mode_setting_reaches_the_dirty_check_as_for_git_status(
    where: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An executable bit changed in the work tree is a change unless ``core.fileMode`` is
    false, wherever git reads that from: vcrelease's dirty files are ``git status``'s."""
    repo = home / "work" / "r"
    # git init wrote core.fileMode = true into the local config, which would win
    subprocess.run(["git", "config", "--unset", "core.filemode"], cwd=repo, check=True)
    _file_mode_false_in(where)(home, repo, monkeypatch)
    (repo / "f.txt").chmod(0o755)
    done = subprocess.run(
        ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = tuple(sorted(line[3:] for line in done.stdout.splitlines()))
    with vcgit.open(repo) as session:
        assert session.head_state().dirty_files == expected


AUTOCRLF = ["unset", "true", "input", "INPUT", "0x0", "1k", "off", "", "tru"]


@pytest.mark.parametrize("value", AUTOCRLF)
def test_autocrlf_spelling_reaches_the_dirty_check_as_for_git_status(
    value: str, home: Path
) -> None:
    """``core.autocrlf`` as git reads it (``input`` in any case, else git's boolean; a bad
    value refused): a CRLF file whose index entry has no stat data (so the content decides)
    is clean when the setting converts and modified when it does not."""
    repo = home / "work" / "r"
    (repo / "f.txt").write_bytes(b"f\r\n")
    (repo / ".git" / "index").unlink()
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo, check=True)  # no stat data
    if value != "unset":
        with open(repo / ".git" / "config", "a") as f:
            f.write(f'[core]\n\tautocrlf = "{value}"\n')
    done = subprocess.run(
        ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    with vcgit.open(repo) as session:
        if done.returncode:
            assert "bad boolean config value" in done.stderr
            with pytest.raises(RepositoryError, match=r"core\.autocrlf = 'tru'"):
                session.head_state()
            return
        expected = tuple(sorted(line[3:] for line in done.stdout.splitlines()))
        assert session.head_state().dirty_files == expected
    assert expected == (() if value in ("true", "input", "INPUT", "1k") else ("f.txt",))


@pytest.mark.parametrize("ignorecase", ["true", "0x0", "1"])
def test_ignore_case_reaches_the_ignore_rules_as_for_git_check_ignore(
    ignorecase: str, home: Path
) -> None:
    """``core.ignoreCase`` (git's boolean) decides whether ``.gitignore``'s ``VERSION.py``
    ignores ``version.py``: where an editable install may write its version file."""
    from vcrelease.git.ignore import path_status

    repo = home / "work" / "r"
    (repo / ".gitignore").write_text("VERSION.py\n")
    (repo / "version.py").write_text("v = 1\n")
    subprocess.run(["git", "config", "core.ignoreCase", ignorecase], cwd=repo, check=True)
    done = subprocess.run(["git", "check-ignore", "-q", "version.py"], cwd=repo, check=False)
    with GitRepo.open(repo) as opened:
        assert (path_status(opened, "version.py") == "ignored") == (done.returncode == 0)


def test_a_bad_boolean_stops_vcrelease_version_with_exit_3(home: Path) -> None:
    """``core.fileMode = tru``: git stops ("bad boolean config value"); ``vcrelease version``
    exits 3 with one paragraph naming the file, the key and the fix, no traceback."""
    repo = home / "work" / "r"
    subprocess.run(["git", "tag", "v1.0"], cwd=repo, check=True)
    (repo / "pyproject.toml").write_text("[tool.vcrelease]\n")
    subprocess.run(["git", "config", "core.fileMode", "tru"], cwd=repo, check=True)
    assert subprocess.run(["git", "status"], cwd=repo, capture_output=True).returncode != 0
    result = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version"], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert str(repo / ".git" / "config") in result.stderr
    assert "core.filemode = 'tru'" in result.stderr
    assert "git config --file" in result.stderr
