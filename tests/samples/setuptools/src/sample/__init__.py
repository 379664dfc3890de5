"""A tiny package: vcrelease's build plugins give it a version from git."""

try:
    from ._version import __commit_id__, __version__
except ImportError:  # a plain checkout, never built or installed: no version file yet
    from importlib.metadata import version as _version

    __version__ = _version("sample")
    __commit_id__ = None

__all__ = ["__commit_id__", "__version__"]
