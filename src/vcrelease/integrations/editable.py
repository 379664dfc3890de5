"""The version file of an editable install, written into the work tree (where git ignores it).

An editable install imports the package from the source tree, so ``import pkg._version``
works only when the file is there, as setuptools-scm (``version_file``) and hatch-vcs (its
build hook) leave it. Both plugins call :func:`write_editable_version_file` for editable
builds only (setuptools: ``build_py`` in ``editable_mode``; hatchling: the ``editable`` wheel).
The rule, by what ``git status`` would show:

- ignored by git (``.gitignore``, ``.git/info/exclude``, ``core.excludesFile``), or no git
  work tree (an unpacked sdist): written, every time, so an old file never states an old
  version;
- untracked and not ignored: rewritten when it exists (``git status`` lists it already),
  otherwise not written (it would dirty the tree); a warning names the fix (.gitignore);
- tracked: not written (that would change a committed file); a warning names the fix;
- in a repository another user owns (git's ``safe.directory`` rule): not written; a warning
  names the fix.

The version itself always comes from git: the file is an output, never an input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["write_editable_version_file"]


def write_editable_version_file(
    project_dir: Path, relative: str, text: str, warn: Callable[[str], None]
) -> Path | None:
    """Write ``project_dir/relative`` for an editable install (or ``write-to-source``) when
    git ignores it (see above).

    Args:
        project_dir: the project's directory (holds ``pyproject.toml``).
        relative: the configured ``version-file``.
        text: the file's content for this build.
        warn: shows a warning to the user (the backend's channel).

    Returns:
        The path written, or None when it was left alone.
    """
    target = project_dir / relative
    from vcrelease.errors import RepositoryError
    from vcrelease.git.session import refuse_foreign_write

    try:
        refuse_foreign_write(target, "the version file of an editable install")
    except RepositoryError as exc:
        warn(f"vcrelease: {exc.message}")
        return None
    status = _status(project_dir, target)
    fix = (
        f"Add {relative} to .gitignore: vcrelease writes it on every editable install "
        "(and into every sdist and wheel), so it is never committed."
    )
    if status == "tracked":
        warn(
            f"vcrelease: {relative} is tracked by git, so the editable install does not "
            f"rewrite it and it may state an old version. `git rm --cached {relative}`, "
            f"then: {fix}"
        )
        return None
    if status == "untracked" and not target.exists():
        warn(
            f"vcrelease: {relative} is not ignored by git; not written into the work tree "
            f"(it would show in `git status`), so `import` of it fails. {fix}"
        )
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.unlink(missing_ok=True)  # never through a hard link
        target.write_text(text, encoding="utf-8")
    if status == "untracked":
        warn(f"vcrelease: {relative} is not ignored by git; rewritten for this build. {fix}")
    return target


def _status(project_dir: Path, target: Path) -> str:
    """``tracked``, ``ignored``, ``untracked``, or ``ignored`` outside a git work tree."""
    from vcrelease import git
    from vcrelease.errors import RepositoryError

    root = git.find_work_tree(project_dir)
    if root is None:
        return "ignored"
    try:
        relative = target.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # outside the repository: nothing of git's
        return "ignored"
    try:
        with git.open(root) as repo:
            return repo.path_status(relative)
    except RepositoryError:  # the version came from elsewhere; nothing to dirty-check
        return "ignored"
