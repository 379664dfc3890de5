"""The console scripts ``vcrelease`` (:func:`vcrelease`, also ``python -m vcrelease``) and
``vc-upload`` (:func:`vc_upload`): :func:`vcrelease.cli.main` and
:func:`vcrelease.cli.upload_main`, with the cyclic garbage collector spared the objects of
their imports.

This module sits above :mod:`vcrelease.cli` and imports nothing at its top but :mod:`gc`: the
scripts decide how the collector sees the command's imports, which must not have happened
before (:func:`_run_script`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

__all__ = ["vc_upload", "vcrelease"]


def vcrelease() -> int:
    """The ``vcrelease`` console script; returns the exit code (:mod:`vcrelease.cli.main`)."""
    return _run_script(_import_vcrelease)


def vc_upload() -> int:
    """The ``vc-upload`` console script; returns the exit code (:mod:`vcrelease.cli.upload`)."""
    return _run_script(_import_vc_upload)


def _import_vcrelease() -> Callable[[], int]:
    from .cli.main import main

    return main


def _import_vc_upload() -> Callable[[], int]:
    from .cli.upload import main

    return main


def _run_script(load: Callable[[], Callable[[], int]]) -> int:
    """Import the command with the cyclic garbage collector off, freeze what the imports
    made, run the command with the collector on, and freeze again before the exit.

    Why: a command's imports make tens of thousands of objects that live until the process
    exits (functions, classes, the records' named tuples); each collection the imports trigger
    traverses those made so far (about 18 collections, 5 ms, of a 0.13 s ``vcrelease
    version``), and CPython's collection at shutdown traverses them all again (10-15 ms).
    ``gc.freeze`` moves them out of the collector's sight for good; the command's own garbage
    is still collected. Nothing here needs the shutdown collection: files are closed by
    ``with`` blocks, temporary directories by ``weakref.finalize`` (run by ``atexit``, before
    it), and the standard streams are flushed by the interpreter. Only the console scripts do
    this, not :func:`vcrelease.cli.main`, which tests and other programs call.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        run = load()
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    try:
        return run()
    finally:
        gc.freeze()
