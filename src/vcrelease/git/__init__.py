"""Read-only access to a git repository, without the git binary.

This package is the bottom of the data flow (``docs/architecture.md``): it reads ``.git`` and
the work tree, never writes into a repository it does not own, and knows nothing of PEP 440.
"""
