"""git's configuration as ``git config --show-origin --show-scope`` sees it: every value with
the file it came from and that file's scope.

Files, lowest precedence first (``git-config`` "FILES"): system (``GIT_CONFIG_SYSTEM``, else
``/etc/gitconfig``; none with ``GIT_CONFIG_NOSYSTEM``), global (``GIT_CONFIG_GLOBAL``, else
``$XDG_CONFIG_HOME/git/config`` then ``~/.gitconfig``), the repository's ``config``, its
``config.worktree`` (with ``extensions.worktreeConfig``), then the command scope
(``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_<n>``/``GIT_CONFIG_VALUE_<n>`` and
``GIT_CONFIG_PARAMETERS``). The last value wins. ``include.path`` and ``includeIf`` are
followed by dulwich's parser (values of an included file count as its includer's).

The *protected* configuration (git's ``git_protected_config``: system, global and command
scopes, never the repository's own files) is what :mod:`vcrelease.git.repository` reads
``safe.directory`` from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["PROTECTED_SCOPES", "GitConfig", "Setting", "global_config_files", "parse_bool"]

PROTECTED_SCOPES = frozenset({"system", "global", "command"})


class Setting(NamedTuple):
    """One ``section.subsection.name = value`` line (``value`` as written, bytes)."""

    section: bytes  # lower case
    subsection: bytes | None  # case kept
    name: bytes  # lower case
    value: bytes
    origin: str  # the file, or "command line" for the environment variables
    scope: str  # system, global, local, worktree, command


def parse_bool(value: bytes | None) -> bool | None:
    """git's boolean (``true/yes/on/1``, ``false/no/off/0/""``, other integers); None when
    the value is none of those."""
    if value is None:
        return True
    word = value.strip().lower()
    if word in (b"true", b"yes", b"on"):
        return True
    if word in (b"false", b"no", b"off", b""):
        return False
    try:
        return int(word) != 0
    except ValueError:
        return None


def global_config_files() -> list[tuple[str, str]]:
    """(scope, path) of the system and global files git reads, lowest precedence first."""
    env = os.environ
    files: list[tuple[str, str]] = []
    if not parse_bool(env.get("GIT_CONFIG_NOSYSTEM", "0").encode()):
        files.append(("system", env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    if "GIT_CONFIG_GLOBAL" in env:
        if env["GIT_CONFIG_GLOBAL"]:
            files.append(("global", env["GIT_CONFIG_GLOBAL"]))
    else:
        home = os.path.expanduser("~")
        xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        files.append(("global", os.path.join(xdg, "git", "config")))
        files.append(("global", os.path.join(home, ".gitconfig")))
    return files


class GitConfig:
    """Every setting of the files git reads for one repository, in precedence order."""

    def __init__(self, settings: list[Setting]) -> None:
        self.settings = settings

    @classmethod
    def load(cls, common_dir: str | None, git_dir: str | None = None) -> GitConfig:
        """The configuration of the repository at ``common_dir`` (None: only the system,
        global and command scopes)."""
        settings: list[Setting] = []
        for scope, path in global_config_files():
            settings += _read_file(path, scope)
        if common_dir is not None:
            local = _read_file(os.path.join(common_dir, "config"), "local")
            settings += local
            worktree_config = any(
                s.section == b"extensions"
                and s.subsection is None
                and s.name == b"worktreeconfig"
                and parse_bool(s.value)
                for s in local
            )
            if worktree_config and git_dir is not None:
                settings += _read_file(os.path.join(git_dir, "config.worktree"), "worktree")
        settings += _command_scope()
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

    def boolean(self, section: bytes, name: bytes, default: bool) -> bool:
        """``section.name`` as a boolean (a value git would refuse counts as ``default``)."""
        setting = self.get(section, None, name)
        if setting is None:
            return default
        value = parse_bool(setting.value)
        return default if value is None else value

    def subsections(self, section: bytes) -> set[bytes]:
        return {s.subsection for s in self.settings if s.section == section and s.subsection}

    def protected(self) -> GitConfig:
        """Only the system, global and command scopes (never the repository's own files)."""
        return GitConfig([s for s in self.settings if s.scope in PROTECTED_SCOPES])


def _read_file(path: str, scope: str) -> list[Setting]:
    """The settings of one config file (and the files it includes); [] when absent."""
    if not os.path.isfile(path):
        return []
    from dulwich.config import ConfigFile

    try:
        config = ConfigFile.from_path(path)
    except (OSError, ValueError, UnicodeDecodeError):
        return []  # git would refuse the file; the reader keeps going without it
    out = []
    for section in config.sections():
        head = section[0].lower()
        sub = section[1] if len(section) > 1 else None
        if head in (b"include", b"includeif"):
            continue
        for name, value in config.items(section):
            out.append(Setting(head, sub, name.lower(), value, path, scope))
    return out


def _command_scope() -> list[Setting]:
    """``GIT_CONFIG_COUNT`` pairs, then ``GIT_CONFIG_PARAMETERS`` (``'key'='value' ...``)."""
    env = os.environ
    pairs: list[tuple[str, str | None]] = []
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        count = 0
    for i in range(count):
        key = env.get(f"GIT_CONFIG_KEY_{i}")
        if key:
            pairs.append((key, env.get(f"GIT_CONFIG_VALUE_{i}", "")))
    params = env.get("GIT_CONFIG_PARAMETERS")
    if params:
        import shlex  # only when git -c set something

        try:
            words = shlex.split(params)
        except ValueError:
            words = []
        for word in words:
            key, equals, value = word.partition("=")
            pairs.append((key, value if equals else None))
    out = []
    for key, raw in pairs:
        first, _, rest = key.partition(".")
        sub, dot, name = rest.rpartition(".")
        if not first or not name:
            continue
        encoded = b"true" if raw is None else raw.encode("utf-8", "surrogateescape")
        out.append(
            Setting(
                first.lower().encode(),
                sub.encode("utf-8", "surrogateescape") if dot else None,
                name.lower().encode(),
                encoded,
                "command line",
                "command",
            )
        )
    return out
