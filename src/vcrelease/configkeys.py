"""The tables behind ``[tool.vcrelease]`` and the documentation's reference pages: every key
with its default and meaning (:data:`KEY_REFERENCE`), every environment variable vcrelease
reads (:data:`ENVIRONMENT_VARIABLES`), and the defaults they name.

Data only, so that :mod:`vcrelease.config` (which validates the keys) and
``scripts/docs_reference.py`` (which writes the configuration and environment pages) read one
table and cannot drift apart; the tests hold the pages to it.
"""

from __future__ import annotations

__all__ = [
    "CI_LOCAL_SCHEME",
    "DEFAULT_LOCAL_SCHEME",
    "DEFAULT_TAG_PATTERN",
    "DEFAULT_VERSION_SCHEME",
    "DISTANCE_COUNTS",
    "ENVIRONMENT_VARIABLES",
    "KEYS",
    "KEY_REFERENCE",
    "LOCAL_SCHEME_GROUP",
    "VERSION_SCHEME_GROUP",
]

DEFAULT_TAG_PATTERN = r"^(?:[\w-]+-)?(?P<version>[vV]?\d+(?:\.\d+){0,2}[^\+]*)(?:\+.*)?$"
"""setuptools-scm's default tag regex (``vcs_versioning._config.DEFAULT_TAG_REGEX``)."""
DEFAULT_VERSION_SCHEME = "guess-next-dev"
DEFAULT_LOCAL_SCHEME = "node-and-date"
CI_LOCAL_SCHEME = "no-local-version"
VERSION_SCHEME_GROUP = "setuptools_scm.version_scheme"
LOCAL_SCHEME_GROUP = "setuptools_scm.local_scheme"
DISTANCE_COUNTS = ("full-history", "first-parent")
"""The values of ``distance-count``; the first is the default."""

KEY_REFERENCE: dict[str, tuple[str, str]] = {
    "tag-pattern": (
        "setuptools-scm's: `" + DEFAULT_TAG_PATTERN + "`",
        "regex matched at the start of each tag name; the `version` group (or the only group) "
        "is the version. Monorepo: `'^pkg-a/v(?P<version>\\d.*)$'`",
    ),
    "tag-prefix": (
        "none",
        'the tag is this prefix plus a version, no regex: `tag-prefix = "hatchling-v"` takes '
        "`hatchling-v1.32.0` and not `hatch-v1.18.0`. Excludes `tag-pattern`",
    ),
    "version-scheme": (
        f"`{DEFAULT_VERSION_SCHEME}`",
        "any setuptools-scm version scheme: `guess-next-dev`, `no-guess-dev`, `only-version`, "
        "`post-release`, `calver-by-date`, `semver-pep440`, `semver-pep440-release-branch`, "
        "`towncrier-fragments`, ...",
    ),
    "local-scheme": (
        f"`{DEFAULT_LOCAL_SCHEME}`; in CI `{CI_LOCAL_SCHEME}`",
        "any setuptools-scm local scheme: `node-and-date`, `node-and-timestamp`, `dirty-tag`, "
        "`no-local-version`, `no-local-version-strict`, `fail-on-uncommitted-changes`. CI's "
        "default keeps what CI builds uploadable (indexes refuse local versions, PEP 440 "
        '"Local version identifiers")',
    ),
    "version-file": (
        "none",
        "`.py` or `.txt` path relative to the project directory, written into built artifacts",
    ),
    "fallback-version": (
        "none (off)",
        "PEP 440 version used only when there is no git repository, sdist or archive metadata",
    ),
    "dev-number": (
        "`distance`; in CI `run` (or `commit-time` where the CI has no run number)",
        "what follows `.dev`: `distance` (`1.2.4.dev3`), `run` (the CI's run number, "
        "`1.2.4.dev1742`) or `commit-time` (HEAD's UTC commit time, "
        "`1.2.4.dev20261121134502`). Also `VCRELEASE_DEV_NUMBER`",
    ),
    "pin-siblings": (
        "`false`",
        "`true`, or a list of names: each dependency that is another vcrelease project of the "
        "same repository is built as `name==<its version at this commit>`",
    ),
    "dependencies": (
        "none",
        "the dependency list (PEP 508) when `pin-siblings` is set; `[project] dynamic` must "
        'then list `"dependencies"` (PEP 621 forbids a back end to change a static field)',
    ),
    "distance-scope": (
        "`false` (every commit counts)",
        "`true` (only commits touching the project directory, the one holding "
        '`pyproject.toml`), or a list of paths relative to it (`[".", "../shared"]`; '
        "`\":/x\"` from the repository's top, as git's pathspec magic `:/`): the distance counts "
        "the commits of `TAG..HEAD` that touch them, the dirty state only their tracked files "
        "(the rule: `vcrelease.git.scope`)",
    ),
    "distance-count": (
        f"`{DISTANCE_COUNTS[0]}`",
        "with `distance-scope`: `full-history` (`git rev-list --full-history TAG..HEAD -- "
        "PATHS`) or `first-parent` (`--first-parent --full-history`)",
    ),
    "version-file-template": (
        "none (the built-in content)",
        "the version file's content as a `str.format` template with setuptools-scm's "
        "variables (`version`, `version_tuple`, `scm_version`) and `commit_id`; needs "
        "`version-file`",
    ),
    "write-to-source": (
        "`false`",
        "`true`: the version file is also written into the work tree on every build, where git "
        "ignores it (setuptools-scm's `write_to_source`); else only editable installs write it",
    ),
    "parentdir-prefix": (
        "none",
        "with no repository, `PKG-INFO` or archive metadata, a project directory named "
        "`PREFIX<version>` (an unpacked GitHub tarball, `hatch-1.14.0`) gives the version "
        "(setuptools-scm's `parentdir_prefix_version`)",
    ),
    "root": (
        "the project directory",
        "the directory, relative to the project directory, whose repository is read "
        "(setuptools-scm's `root` joined with `relative_to`'s directory)",
    ),
    "dist-name": (
        "`[project] name`",
        "the distribution name the `..._FOR_<DIST>` environment variables use",
    ),
    "promotion-requires": (
        "none",
        "read by `vcrelease promote`: a table from a target (a `.pypirc` name or an upload "
        "URL) to the validation checks every promoted file needs "
        '(`{production = ["smoke", "integration"]}`)',
    ),
}
"""Every ``[tool.vcrelease]`` key: ``key -> (default, meaning)``, both Markdown text. The
configuration reference of the documentation is generated from this table."""
KEYS = tuple(KEY_REFERENCE)
"""The keys of ``[tool.vcrelease]``, in the order of :data:`KEY_REFERENCE`."""

ENVIRONMENT_VARIABLES: dict[str, str] = {
    "VCRELEASE_PRETEND_VERSION": "use this version, skip everything else",
    "VCRELEASE_PRETEND_VERSION_FOR_<DIST>": (
        "the same for one distribution, read before `VCRELEASE_PRETEND_VERSION`: the name "
        "canonicalised (PEP 503), upper case, `-` as `_` (`My.Package` -> `MY_PACKAGE`)"
    ),
    "VCRELEASE_DEV_NUMBER": (
        "`distance`, `run` or `commit-time`: what follows `.dev` (the `dev-number` key, which "
        "it overrides)"
    ),
    "SOURCE_DATE_EPOCH": (
        "the date used in dirty local labels and calendar schemes (reproducible builds); "
        "`vcrelease version --source-date-epoch` prints HEAD's commit time for it"
    ),
    "VCRELEASE_DEBUG": "`1`: show the traceback of an internal error (exit 70)",
    "VCRELEASE_DEPLOY_ROOT": (
        "`vcrelease deploy` and `vcrelease.multiversion.require`: the deploy root (as `--root`)"
    ),
    "VCRELEASE_NO_CACHE": (
        "`1`: do not use the describe cache (history part only, in "
        "`.git/vcrelease/describe-cache.json`; the dirty check always runs)"
    ),
    "VCRELEASE_INDEX_URL": (
        "`vc-upload`, `promote`, `channel`: the simple API base the preflight reads (as "
        "`--index-url`)"
    ),
    "TWINE_REPOSITORY": "`vc-upload`, `promote`, `channel`: a `.pypirc` section (as `-r`)",
    "TWINE_REPOSITORY_URL": "the upload URL (as `--repository-url`)",
    "TWINE_USERNAME": "the username (as `-u`)",
    "TWINE_PASSWORD": "the password or token (as `-p`; prefer the variable)",
    "GIT_DIR": (
        "the repository directory, as for git: the work tree is then `GIT_WORK_TREE`, else "
        "`core.worktree`, else the current directory (none when `core.bare` is true)"
    ),
    "GIT_CEILING_DIRECTORIES": (
        "colon-separated directories discovery never looks at or above (a project below one "
        "gets no version from the repository above it), as for git"
    ),
    "GIT_DISCOVERY_ACROSS_FILESYSTEM": (
        "git's boolean: discovery goes on across a file-system boundary, as for git"
    ),
    "GIT_WORK_TREE": "the work tree (alone: of the repository found from the current directory)",
    "GIT_COMMON_DIR": (
        "must name the repository's own common directory (its `commondir` file's, or the "
        "repository directory); where they differ vcrelease stops (exit 3) instead of mixing "
        "two repositories"
    ),
    "GIT_INDEX_FILE": (
        "the index file the dirty check and the sdist file list read (relative to the work "
        "tree's top); one that does not exist is an empty index, as for git"
    ),
    "GIT_NO_REPLACE_OBJECTS": "set to anything: replace refs (`refs/replace/`) are not used",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES": (
        "more object directories, colon-separated (quoted entries allowed), read after "
        "`objects/info/alternates`, as for git"
    ),
    "GIT_OBJECT_DIRECTORY": (
        "part of the describe cache's key (the object directory is read from the repository)"
    ),
    "GIT_SHALLOW_FILE": (
        "part of the describe cache's key (the shallow list is read from the repository)"
    ),
    "GIT_COMMIT": "Jenkins: the commit a validation record names (`vcrelease validation record`)",
    "GIT_REPLACE_REF_BASE": "where replace refs live (default `refs/replace/`), as for git",
    "GIT_GRAFT_FILE": "the grafts file (default `.git/info/grafts`), as for git",
    "GIT_CONFIG_GLOBAL": "the global config file, as for git",
    "GIT_CONFIG_SYSTEM": "the system config file, as for git",
    "GIT_CONFIG_NOSYSTEM": "skip the system config file, as for git",
    "GIT_CONFIG_COUNT": (
        "with `GIT_CONFIG_KEY_<n>` and `GIT_CONFIG_VALUE_<n>`: config given in the "
        "environment, as for git (the most trusted scope: it can list `safe.directory`)"
    ),
    "GIT_CONFIG_KEY_<n>": "see `GIT_CONFIG_COUNT`",
    "GIT_CONFIG_VALUE_<n>": "see `GIT_CONFIG_COUNT`",
    "GIT_CONFIG_PARAMETERS": "config given by `git -c` to a command that runs vcrelease",
    "GIT_ATTR_NOSYSTEM": "skip `/etc/gitattributes`, as for git",
}
"""Every environment variable vcrelease reads itself: ``name -> meaning`` (Markdown text;
``<DIST>``, ``<n>`` stand for a part of the name). The CI providers' own variables are
:data:`vcrelease.ci.context.DETECTION_VARIABLES` and the providers' documentation. The
documentation's environment reference is generated from this table, and a test checks that
every ``VCRELEASE_*`` and ``GIT_*`` name the code reads is in it."""
