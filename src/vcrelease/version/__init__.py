"""From what git (or an sdist, an archive, the environment) says to a PEP 440 version.

The stage between :mod:`vcrelease.git` and :mod:`vcrelease.publish` (``docs/architecture.md``).
One module per job:

- :mod:`.resolve`: the sources in order (pretend variables, ``PKG-INFO``, archival file, git,
  ``fallback-version``) and the CI tag-build rules; the entry point of this stage;
- :mod:`.fallbacks`: the sources outside a repository;
- :mod:`.devnumber`: what follows ``.dev`` (distance, CI run number, commit time);
- :mod:`.defaults`: the default schemes and the tag parsing, without vcs-versioning;
- :mod:`.formatting`: a repository state -> a version (the defaults, else vcs-versioning);
- :mod:`.schemes`: scheme names -> setuptools-scm entry points;
- :mod:`.citag`: a CI tag missing from the clone is on HEAD when HEAD is the CI's commit;
- :mod:`.versionfile`: the version file written into built artifacts.

Nothing is imported here, so importing one module costs only what it needs.
"""

__all__: list[str] = []
