"""Another user's repository, on every machine the tests run on.

vcrelease never writes into, and never runs a configured command in, a repository another
user owns (git's ``safe.directory`` rule, :func:`vcrelease.git.repository.untrusted_reason`).
The tests hold that two ways, the :data:`MODES` a test is parametrized with
(:func:`other_user`):

- ``second user``: the repository is handed to ``nobody`` with ``chown`` (root only: skipped
  elsewhere), so git itself can be the oracle;
- ``faked owner``: the files stay the test's, and the vcrelease process under test is told it
  runs as a user who owns none of them, through the one seam of the rule
  (:data:`vcrelease.git.repository.effective_uid`): :meth:`OtherUser.run` starts the command
  line with that function replaced, :meth:`OtherUser.patch` replaces it in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

MODES = ("second user", "faked owner")
_NOBODY_UID = 65534


def _stranger_uid() -> int:
    """A user id that owns none of the test's files."""
    return os.geteuid() + 1 if hasattr(os, "geteuid") else _NOBODY_UID


class OtherUser(NamedTuple):
    """How this test makes a repository another user's (see the module docstring)."""

    mode: str

    @property
    def real(self) -> bool:
        """The files really belong to another user (git refuses them too)."""
        return self.mode == "second user"

    def give_away(self, path: Path) -> None:
        """Make ``path`` (recursively) another user's, as this mode does."""
        if self.real:
            subprocess.run(["chown", "-R", "nobody", str(path)], check=True)

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """In this process: act as a user who owns nothing (faked owner only)."""
        if not self.real:
            from vcrelease.git import repository

            monkeypatch.setattr(repository, "effective_uid", _stranger_uid)

    def run(
        self, *args: str | Path, cwd: Path | str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``vcrelease ARGS`` (as :func:`gitutil.run`), as the other user sees it."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("VCRELEASE_")}
        full_env.update(env)
        if self.real:
            command = [sys.executable, "-m", "vcrelease"]
        else:
            boot = (
                "import sys\nfrom vcrelease.git import repository\n"
                f"repository.effective_uid = lambda: {_stranger_uid()}\n"
                "from vcrelease.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
            )
            command = [sys.executable, "-c", boot]
        return subprocess.run(
            [*command, *map(str, args)],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
        )


def other_user(mode: str) -> OtherUser:
    """The :class:`OtherUser` of ``mode`` (one of :data:`MODES`, a test's parameter); the
    second-user case skips unless root (its faked-owner twin runs everywhere)."""
    user = OtherUser(mode)
    if user.real and (not hasattr(os, "geteuid") or os.geteuid() != 0):
        pytest.skip("chown needs root; the faked-owner case of this test runs instead")
    return user
