"""PEP 740 attestations beside the distribution files: found, checked, attached to the upload.

The convention twine's ``--attestations`` and gh-action-pypi-publish use: the attestation of
``dist/x-1.0.tar.gz`` is the file ``dist/x-1.0.tar.gz.publish.attestation``, one attestation
object (PEP 740, "Attestation objects": ``version``, ``verification_material``, ``envelope``
with ``statement``, the base64 of an in-toto Statement, and ``signature``). It is sent with the
upload as the form field ``attestations``, a JSON list (twine ``PackageFile.add_attestations``).

Before anything is uploaded, each attestation's Statement must name its file: one subject whose
``name`` is the file's name and whose ``digest.sha256`` is the file's sha256 (in-toto Statement
v1; PEP 740 requires the index to check the same). The signature is the index's to verify: it
needs the Sigstore trust root, and a mismatched subject is what a stale ``dist/`` gives.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .dists import DistFile

__all__ = ["SUFFIX", "attestation_of", "check_attestations", "split_attestations"]

SUFFIX = ".publish.attestation"


def attestation_of(dist: Path) -> Path:
    """Where the attestation of ``dist`` lies (it may not exist)."""
    return dist.with_name(dist.name + SUFFIX)


def split_attestations(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """``(distribution files, attestation files)`` of the command line's files (``dist/*``
    names both)."""
    dists = [p for p in paths if not p.name.endswith(SUFFIX)]
    return dists, [p for p in paths if p.name.endswith(SUFFIX)]


def check_attestations(files: Iterable[DistFile], given: Sequence[Path] = ()) -> dict[str, Path]:
    """Check the attestation beside each file names it; ``{filename: attestation path}``.

    Args:
        files: the distribution files of the run.
        given: attestation files named on the command line: each must belong to one of
            ``files``.

    Raises:
        ConfigError: an attestation is not JSON, not a PEP 740 attestation, or names another
            file or other bytes; or a given attestation has no distribution file (exit 2).
    """
    found: dict[str, Path] = {}
    for dist in files:
        path = attestation_of(dist.path)
        if path.is_file():
            _check(path, dist)
            found[dist.filename] = path
    known = {p.resolve() for p in found.values()}
    for path in given:
        if path.resolve() not in known:
            raise ConfigError(
                f"{path} is an attestation, but its file "
                f"{path.name.removesuffix(SUFFIX)} is not among the files to upload. Upload it "
                "with its distribution file, or remove it."
            )
    return found


def _check(path: Path, dist: DistFile) -> None:
    def bad(problem: str) -> ConfigError:
        return ConfigError(
            f"{path} {problem}, so it cannot be attached to the upload of {dist.filename} "
            f"(sha256 {dist.sha256}); nothing is uploaded. Make the attestations from the files "
            "being uploaded, after the last build step (stale files in dist/?)."
        )

    try:
        attestation = json.loads(path.read_bytes())
        statement_b64 = attestation["envelope"]["statement"]
        statement: Any = json.loads(base64.b64decode(statement_b64, validate=True))
        subjects = statement["subject"]
    except (OSError, ValueError, KeyError, TypeError, binascii.Error):
        raise bad(
            "is not a PEP 740 attestation (JSON with envelope.statement, the base64 of an "
            "in-toto Statement with subjects)"
        ) from None
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise bad("does not name exactly one subject")
    subject = subjects[0]
    digest = subject.get("digest")
    sha256 = digest.get("sha256") if isinstance(digest, dict) else None
    if subject.get("name") != dist.filename:
        raise bad(f"names the file {subject.get('name')!r}")
    if not isinstance(sha256, str) or sha256.lower() != dist.sha256:
        raise bad(f"names other bytes (sha256 {sha256})")
