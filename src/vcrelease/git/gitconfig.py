"""git's configuration, read as git reads it: the one config reader of :mod:`vcrelease.git`.

Files, lowest precedence first (``git-config`` "FILES", ``config.c``
``do_git_config_sequence``): system (``GIT_CONFIG_SYSTEM``, else ``/etc/gitconfig``; none when
``GIT_CONFIG_NOSYSTEM`` is true by git's boolean rules), global (``GIT_CONFIG_GLOBAL``, else
``$XDG_CONFIG_HOME/git/config`` (``~/.config/git/config``) then ``~/.gitconfig``), local (the
repository's ``config``), worktree (``config.worktree`` of the work tree's repository
directory, only when the repository's own ``config`` sets ``extensions.worktreeConfig``), then
the command scope (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_<n>``/``GIT_CONFIG_VALUE_<n>`` and
``GIT_CONFIG_PARAMETERS``; ``git-config`` "ENVIRONMENT"). The last value wins.

The syntax and the types are :mod:`vcrelease.git.configfile`'s (git's ``config.c``).

Includes (``git-config`` "Includes", "Conditional includes"): ``include.path`` and
``includeIf.<condition>.path`` (a relative path is relative to the including file, ``~/`` is
the home directory), at most 10 deep; conditions ``gitdir:``, ``gitdir/i:`` (the repository
directory, resolved, matched by git's glob: ``**/`` put before a pattern that does not start
with ``/``, ``~/`` or ``./``, ``**`` after a trailing ``/``), ``onbranch:`` (HEAD's branch) and
``hasconfig:remote.*.url:`` (any remote URL of the whole configuration). The values of an
included file count as its includer's scope.

The *protected* configuration (git's ``git_protected_config``: system, global and command
scopes, never the repository's own files) is what :mod:`vcrelease.git.repository` reads
``safe.directory`` from.
"""

import os
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .configfile import (
    COMMAND_LINE,
    Entry,
    GitConfigError,
    command_scope,
    parse_bool,
    parse_file,
    parse_int,
)

__all__ = [
    "PROTECTED_SCOPES",
    "GitConfig",
    "GitConfigError",
    "Setting",
    "config_files",
    "parse_bool",
    "parse_file",
    "parse_int",
    "worktree_config_enabled",
]

PROTECTED_SCOPES = frozenset({"system", "global", "command"})
MAX_INCLUDE_DEPTH = 10
"""git's ``MAX_INCLUDE_DEPTH``: deeper includes are an error (a loop, most likely)."""


class Setting(NamedTuple):
    """One ``section.subsection.name = value`` line.

    Attributes:
        section: lower case.
        subsection: case kept; None for ``[section]``.
        name: lower case.
        value: as git unquotes it; None for a key without ``=`` (a boolean true).
        origin: the file, or ``command line`` for the ``GIT_CONFIG_*`` variables.
        scope: system, global, local, worktree, command (an included file: its includer's).
    """

    section: bytes
    subsection: bytes | None
    name: bytes
    value: bytes | None
    origin: str
    scope: str

    @property
    def key(self) -> str:
        """``section.subsection.name`` as ``git config`` spells it."""
        parts = (
            [self.section, self.name]
            if self.subsection is None
            else [
                self.section,
                self.subsection,
                self.name,
            ]
        )
        return b".".join(parts).decode("utf-8", "replace")


# -- scopes and includes -------------------------------------------------------------------


def _env_bool(name: str) -> bool:
    """``git_env_bool(name, 0)``: the variable as a git boolean, false when unset.

    Raises:
        GitConfigError: a value that is no boolean (git stops there too).
    """
    raw = os.environ.get(name)
    if raw is None:
        return False
    value = parse_bool(os.fsencode(raw))
    if value is None:
        raise GitConfigError(
            f'{name}={raw!r} is not a boolean git reads (git stops with "bad boolean config '
            f"value '{raw}' for '{name}'\"). Set it to 1 or 0, or unset it."
        )
    return value


def config_files() -> list[tuple[str, str]]:
    """(scope, path) of the system and global files git reads, lowest precedence first.

    Raises:
        GitConfigError: ``GIT_CONFIG_NOSYSTEM`` is not a boolean.
    """
    env = os.environ
    files: list[tuple[str, str]] = []
    if not _env_bool("GIT_CONFIG_NOSYSTEM"):
        files.append(("system", env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    if "GIT_CONFIG_GLOBAL" in env:
        if env["GIT_CONFIG_GLOBAL"]:
            files.append(("global", env["GIT_CONFIG_GLOBAL"]))
        return files
    home = env.get("HOME")
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        files.append(("global", os.path.join(xdg, "git", "config")))
    elif home:
        files.append(("global", os.path.join(home, ".config", "git", "config")))
    if home:
        files.append(("global", os.path.join(home, ".gitconfig")))
    return files


def _expand_home(path: str) -> str:
    """git's ``interpolate_path``: ``~/`` is ``$HOME``, ``~user/`` that user's home."""
    if path.startswith("~"):
        if path.startswith("~/") or path == "~":
            home = os.environ.get("HOME")
            return path if home is None else home + path[1:]
        return os.path.expanduser(path)
    return path


class _Includes:
    """What the ``includeIf`` conditions look at: the repository directory, HEAD's branch
    and (for ``hasconfig``) every remote URL, each found on first need."""

    def __init__(self, git_dir: str | None, urls: Callable[[], list[bytes]] | None) -> None:
        self.git_dir = git_dir
        self._urls = urls
        self._branch: tuple[bytes | None] | None = None

    def remote_urls(self) -> list[bytes]:
        return [] if self._urls is None else self._urls()

    def branch(self) -> bytes | None:
        """HEAD's branch (``refs/heads/`` left out), None when HEAD is detached or absent."""
        if self._branch is None:
            self._branch = (_head_branch(self.git_dir) if self.git_dir else None,)
        return self._branch[0]

    def gitdir_matches(self, pattern: bytes, origin: str, icase: bool) -> bool:
        """``include_by_gitdir``: the pattern against the resolved repository directory,
        then against it as given (made absolute)."""
        from .wildmatch import wildmatch

        if self.git_dir is None:
            return False
        text = os.fsdecode(pattern)
        text = _expand_home(text)
        prefix = 0
        if text.startswith("./"):
            if origin == COMMAND_LINE:
                raise GitConfigError(
                    "an includeIf condition from GIT_CONFIG_PARAMETERS / GIT_CONFIG_KEY_<n> "
                    "starts with ./ (git: relative config include conditionals must come "
                    "from files). Give an absolute path."
                )
            directory = os.path.dirname(os.path.realpath(origin))
            text = directory + text[1:]
            prefix = len(directory) + 1
        elif not text.startswith("/"):
            text = "**/" + text
        if text.endswith("/"):
            text += "**"
        glob = os.fsencode(text)
        for candidate in (os.path.realpath(self.git_dir), os.path.abspath(self.git_dir)):
            name = os.fsencode(candidate)
            head, tail = glob[:prefix], glob[prefix:]
            if len(name) < prefix:
                continue
            same = name[:prefix].lower() == head.lower() if icase else name[:prefix] == head
            if same and wildmatch(tail, name[prefix:], pathname=True, casefold=icase):
                return True
        return False


def _head_branch(git_dir: str) -> bytes | None:
    """The branch HEAD names through symbolic refs (loose files, at most 5 deep)."""
    name = b"HEAD"
    for _ in range(5):
        try:
            with open(os.path.join(git_dir, os.fsdecode(name)), "rb") as f:
                text = f.read().strip()
        except OSError:
            break
        if not text.startswith(b"ref:"):
            break
        name = text[4:].strip()
    if name.startswith(b"refs/heads/") and name != b"HEAD":
        return name[len(b"refs/heads/") :]
    return None


def _condition(cond: bytes, origin: str, ctx: _Includes, unconditional: bool) -> bool:
    """``include_condition_is_true``; an unknown condition is false."""
    from .wildmatch import wildmatch

    if cond.startswith(b"gitdir:"):
        return ctx.gitdir_matches(cond[7:], origin, icase=False)
    if cond.startswith(b"gitdir/i:"):
        return ctx.gitdir_matches(cond[9:], origin, icase=True)
    if cond.startswith(b"onbranch:"):
        branch = ctx.branch()
        if branch is None:
            return False
        pattern = cond[9:]
        if pattern.endswith(b"/"):
            pattern += b"**"
        return wildmatch(pattern, branch, pathname=True)
    prefix = b"hasconfig:remote.*.url:"
    if cond.startswith(prefix):
        if unconditional:
            return True
        pattern = cond[len(prefix) :]
        return any(wildmatch(pattern, url, pathname=True) for url in ctx.remote_urls())
    return False


def _expand(
    entries: list[Entry],
    origin: str,
    scope: str,
    ctx: _Includes,
    out: list[Setting],
    *,
    depth: int = 0,
    unconditional: bool = False,
    from_hasconfig: bool = False,
) -> None:
    """``entries`` of the file ``origin`` into ``out``, each include followed where it
    stands (``config.c`` ``git_config_include``).

    Raises:
        GitConfigError: an include without a value, a relative include from the command
            line, more than :data:`MAX_INCLUDE_DEPTH` levels, or a remote URL set in a file
            ``hasconfig`` included (git refuses each).
    """
    for section, sub, name, value in entries:
        out.append(Setting(section, sub, name, value, origin, scope))
        if from_hasconfig and section == b"remote" and name == b"url" and sub is not None:
            raise GitConfigError(
                f"{origin} sets remote.{sub.decode(errors='replace')}.url and is included "
                "by includeIf.hasconfig:remote.*.url (git refuses: remote URLs cannot be "
                "configured in a file included that way). Move the URL to another file."
            )
        if name != b"path":
            continue
        if section == b"include" and sub is None:
            hasconfig = False
        elif section == b"includeif" and sub is not None:
            if not _condition(sub, origin, ctx, unconditional):
                continue
            hasconfig = sub.startswith(b"hasconfig:")
        else:
            continue
        if value is None:
            raise GitConfigError(
                f"{origin}: {section.decode()}{'' if sub is None else '.' + os.fsdecode(sub)}"
                ".path has no value (git: missing value). Give it a path or remove it."
            )
        path = _expand_home(os.fsdecode(value))
        if not os.path.isabs(path):
            if origin == COMMAND_LINE:
                raise GitConfigError(
                    f"include.path = {path} comes from GIT_CONFIG_PARAMETERS / "
                    "GIT_CONFIG_KEY_<n> and is relative (git: relative config includes "
                    "must come from files). Give an absolute path."
                )
            path = os.path.join(os.path.dirname(origin), path)
        if not os.path.isfile(path):
            continue  # git skips a missing include
        if depth + 1 > MAX_INCLUDE_DEPTH:
            raise GitConfigError(
                f"{origin} includes {path} more than {MAX_INCLUDE_DEPTH} levels deep (git: "
                "exceeded maximum include depth); an include loop, most likely. Remove "
                "the include that leads back."
            )
        included = parse_file(path)
        if included is not None:
            _expand(
                included,
                path,
                scope,
                ctx,
                out,
                depth=depth + 1,
                unconditional=unconditional,
                from_hasconfig=from_hasconfig or hasconfig,
            )


def worktree_config_enabled(local: list[Entry]) -> bool:
    """Whether the repository's own ``config`` (no includes: git reads the repository
    format without them) sets ``extensions.worktreeConfig`` true.

    Raises:
        GitConfigError: the value is no boolean.
    """
    found = False
    for section, sub, name, value in local:
        if section == b"extensions" and sub is None and name == b"worktreeconfig":
            found = _bool_or_raise(value, "extensions.worktreeconfig", "the repository config")
    return found


def _bool_or_raise(value: bytes | None, key: str, origin: str) -> bool:
    parsed = parse_bool(value)
    if parsed is None:
        shown = os.fsdecode(value or b"")
        where = "GIT_CONFIG_PARAMETERS / GIT_CONFIG_KEY_<n>" if origin == COMMAND_LINE else origin
        fix = (
            f"`git config {key} true` or false"
            if origin == COMMAND_LINE
            else f"`git config --file {origin} {key} true` or false"
        )
        raise GitConfigError(
            f'{where}: {key} = {shown!r} is not a boolean (git stops with "bad boolean '
            f"config value '{shown}' for '{key}'\" too). Set it with {fix}, or remove it."
        )
    return parsed


class GitConfig:
    """Every setting of the files git reads for one repository, in precedence order."""

    def __init__(self, settings: list[Setting]) -> None:
        self.settings = settings

    @classmethod
    def load(
        cls,
        common_dir: str | None,
        git_dir: str | None = None,
        *,
        local: list[Entry] | None = None,
    ) -> "GitConfig":
        """The configuration of the repository whose common directory is ``common_dir`` and
        whose work tree's repository directory is ``git_dir`` (``config.worktree`` and the
        ``gitdir``/``onbranch`` conditions look there); ``common_dir`` None: only the system,
        global and command scopes. ``local``: the repository's ``config`` already parsed.

        Raises:
            GitConfigError: a file or variable git refuses (:func:`parse_text`,
                :func:`_expand`, :func:`_command_scope`).
        """
        files: list[tuple[str, str, list[Entry]]] = []
        for scope, path in config_files():
            entries = parse_file(path)
            if entries is not None:
                files.append((scope, path, entries))
        if common_dir is not None:
            path = os.path.join(common_dir, "config")
            own = local if local is not None else parse_file(path)
            if own is not None:
                files.append(("local", path, own))
                if git_dir is not None and worktree_config_enabled(own):
                    path = os.path.join(git_dir, "config.worktree")
                    worktree = parse_file(path)
                    if worktree is not None:
                        files.append(("worktree", path, worktree))
        files.append(("command", COMMAND_LINE, command_scope()))
        where = git_dir if git_dir is not None else common_dir
        urls: list[bytes] | None = None

        def remote_urls() -> list[bytes]:
            nonlocal urls
            if urls is None:
                everything: list[Setting] = []
                ctx = _Includes(where, None)
                for scope, origin, entries in files:
                    _expand(entries, origin, scope, ctx, everything, unconditional=True)
                urls = [
                    s.value
                    for s in everything
                    if s.section == b"remote"
                    and s.name == b"url"
                    and s.value is not None
                    and s.subsection is not None
                ]
            return urls

        settings: list[Setting] = []
        includes = _Includes(where, remote_urls)
        for scope, origin, entries in files:
            _expand(entries, origin, scope, includes, settings)
        return cls(settings)

    def all(self, section: bytes, subsection: bytes | None, name: bytes) -> Iterator[Setting]:
        """Every value of the key, lowest precedence first."""
        for s in self.settings:
            if s.section == section and s.subsection == subsection and s.name == name:
                yield s

    def get(self, section: bytes, subsection: bytes | None, name: bytes) -> Setting | None:
        """The winning value of the key (the last), None when unset."""
        found = None
        for found in self.all(section, subsection, name):  # noqa: B007 - the last one wins
            pass
        return found

    def boolean(
        self, section: bytes, name: bytes, default: bool, subsection: bytes | None = None
    ) -> bool:
        """The key as git's ``git_config_bool`` reads it; ``default`` when unset.

        Raises:
            GitConfigError: the winning value is no boolean (git stops there too): names the
                file, the key and the fix.
        """
        setting = self.get(section, subsection, name)
        if setting is None:
            return default
        return _bool_or_raise(setting.value, setting.key, setting.origin)

    def path(self, section: bytes, name: bytes) -> str | None:
        """The key as a path (``~/`` expanded, as git's path type); None when unset or
        empty."""
        setting = self.get(section, None, name)
        if setting is None or not setting.value:
            return None
        return _expand_home(os.fsdecode(setting.value))

    def subsections(self, section: bytes) -> set[bytes]:
        """The subsections of ``section`` that hold a setting."""
        return {s.subsection for s in self.settings if s.section == section and s.subsection}

    def protected(self) -> "GitConfig":
        """Only the system, global and command scopes (never the repository's own files)."""
        return GitConfig([s for s in self.settings if s.scope in PROTECTED_SCOPES])
