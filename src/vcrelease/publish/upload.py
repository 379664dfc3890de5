"""Upload a checked release to an index: preflight, upload with twine, verify.

Preflight (``docs/architecture.md``, "Upload"): the project's listing is read (simple
repository API, PEP 503 / PEP 691: :mod:`vcrelease.publish.indexclient`) and every file decided
by the index rules of :mod:`vcrelease.publish.preflight` before any byte is sent: same bytes
skipped, other bytes refuse the whole set.

Upload: twine's ``Repository.upload``, one attempt per file (twine's own retry of 5xx answers is
off: after any failure the index is read again instead). A file that the index now lists with
our sha256 counts as uploaded (a concurrent build with the same bytes won the race); with
another sha256 the run stops with exit 1 naming the live bytes; missing, the run stops with exit
4 and the report lists exactly which files are live, so a re-run finishes the set. After the
upload every file must be listed with our sha256 (verify).

Indexes that replace files (``docs/architecture.md``, "Upload"): a devpi index whose
configuration says ``volatile: true`` is refused before any upload unless the caller allows it
(``--allow-volatile-index``). Where the index cannot say (pypiserver, which may run with
``--overwrite``; Artifactory; anything but PyPI, TestPyPI and a non-volatile devpi index) the
run is *guarded*: each file is looked up again just before its upload, and the verification
waits until a pause (:func:`confirm_pause`) has passed since the last upload ended, so that a
concurrent run's overwrite that landed after ours is seen. A file then live with bytes that
are neither ours nor what the preflight saw is exit 1, "torn or replaced". This narrows the
race; it cannot close it on an index that accepts overwrites (README, "Uploading").

Such an index is asked by a *probe* (:class:`OverwriteGuard`): the first file uploaded is
uploaded once more, the same bytes. An index that refuses that (409, or 400 "already
exists": pypiserver without ``--overwrite``, devpi, warehouse for other bytes) takes a file
name once, so the rest of the run needs no guard; one that accepts it (200: pypiserver
``--overwrite``, Artifactory, a proxy) keeps it. The probe writes nothing new: on an index
that replaces files it replaces our file with itself.

A mismatch is believed only once it stays: an index may list another uploader's file before
its bytes are all written (pypiserver writes the file in place, so a reader can get an empty or
partial file), so every reading that would refuse or fail the verification is repeated, up to
:data:`SETTLE_READS` readings :data:`SETTLE_PAUSE` seconds apart, and the last one decides.

Credentials never appear in a message: URLs go through
:func:`vcrelease.publish.simpleapi.redact_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import requests

from ..errors import (
    EXIT_CREDENTIALS,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REFUSED,
    InterruptedRun,
    redact_text,
)
from .dists import Plan, check_contents
from .indexclient import fetch_listing, file_sha256, index_volatile
from .options import SYSTEM_CLOCK, Clock, UploadOptions
from .preflight import FileStep, compare, refusal_message, same_file_key
from .report import LIVE_OUTCOMES, ProjectOutcome
from .simpleapi import IndexUnavailableError, ProjectListing
from .target import Target
from .twineadapter import Uploader

__all__ = [
    "CONFIRM_MAX",
    "CONFIRM_MIN",
    "SETTLE_PAUSE",
    "SETTLE_READS",
    "OverwriteGuard",
    "check_project",
    "confirm_pause",
    "keeps_duplicates",
    "overwrite_guard",
    "preflight",
    "publish",
    "read_index",
    "settled_steps",
]

SETTLE_READS = 4
"""Readings of the index before a mismatch is believed (module docstring)."""
SETTLE_PAUSE = 0.5
"""Seconds between those readings."""
CONFIRM_MIN = 1.0
CONFIRM_MAX = 15.0
"""Bounds of the pause before a guarded run's verification (:func:`confirm_pause`)."""
NEVER_OVERWRITE_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
"""Indexes known to take a file name once (PyPI never reuses a name, even after a deletion)."""


def confirm_pause(spans: list[float]) -> float:
    """Seconds between the end of a guarded run's last upload and its verification: twice the
    longest look-up plus upload of this run (a concurrent run's overwrite takes about as
    long), within [:data:`CONFIRM_MIN`, :data:`CONFIRM_MAX`]."""
    return min(CONFIRM_MAX, max(CONFIRM_MIN, 2 * max(spans, default=0.0)))


class OverwriteGuard:
    """Whether a run (or a set's runs) must be guarded against concurrent overwrites.

    Attributes:
        active: each file is looked up again before its upload, and the verification waits
            :func:`confirm_pause` (module docstring).
        probing: the index has not said whether it replaces files: the first file uploaded
            is uploaded again (:meth:`learn` takes the answer). That first file is not looked
            up again before its upload: the preflight read the index moments before.
    """

    __slots__ = ("active", "probing")

    def __init__(self, volatile: bool | None, *, probe: bool = True) -> None:
        """``volatile``: what the index says of overwrites (True: it replaces files; False:
        it refuses them; None: it does not say). ``probe``: the index may be asked (False:
        a second upload would not be harmless there, :func:`keeps_duplicates`)."""
        self.active = volatile is not False
        self.probing = volatile is None and probe

    def learn(self, status: int | None, detail: str) -> str:
        """Take the answer to the probe (the HTTP status of a second upload of the same
        bytes, and its text) and return what it says, for the log."""
        self.probing = False
        refused = status == 409 or (status == 400 and "exist" in detail.lower())
        if refused:
            self.active = False
            return f"the index refused the same file again ({detail}): it takes a name once"
        return (
            f"the index answered {detail or 'nothing'} to the same file again: it may replace "
            "files, so every file is checked again and the verification waits"
        )


def overwrite_guard(
    session: requests.Session, target: Target
) -> tuple[bool | None, OverwriteGuard]:
    """``(volatile, guard)``: what the index says of overwrites (devpi's ``volatile``; None
    when it does not say: :func:`.indexclient.index_volatile`), and the guard of the run:
    active for every index not known to refuse overwrites, probing where the index does not
    say (:class:`OverwriteGuard`)."""
    from urllib.parse import urlsplit

    host = (urlsplit(target.index_url).hostname or "").lower()
    if host in NEVER_OVERWRITE_HOSTS:
        return False, OverwriteGuard(False)
    volatile = index_volatile(session, target.index_url, timeout=target.timeout)
    return volatile, OverwriteGuard(volatile, probe=not keeps_duplicates(target.upload_url))


def keeps_duplicates(upload_url: str) -> bool:
    """Whether the upload URL is GitLab's package registry for PyPI
    (``.../api/v4/projects/<id>/packages/pypi``, or the group form), which may keep every
    upload of a file name as another file and serve the newest (GitLab's "Reject duplicates"
    setting decides): a second upload of the same bytes would add a record there, so such an
    index is not probed but guarded."""
    from urllib.parse import urlsplit

    path = urlsplit(upload_url).path.rstrip("/")
    return "/api/v4/" in path and path.endswith("/packages/pypi")


def read_index(
    session: requests.Session, target: Target, plan: Plan
) -> tuple[ProjectListing, dict[str, str]]:
    """The project's listing and the sha256 of every listed file that is a planned file.

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
    """
    listing = fetch_listing(session, target.index_url, plan.project, timeout=target.timeout)
    wanted_names = {d.filename for d in plan.files}
    wanted_keys = {same_file_key(d.filename) for d in plan.files}
    hashes = {
        item.filename: file_sha256(session, item, timeout=target.timeout)
        for item in listing.files
        if item.filename in wanted_names or same_file_key(item.filename) in wanted_keys
    }
    return listing, hashes


def preflight(
    session: requests.Session,
    target: Target,
    plan: Plan,
    *,
    pause: float = SETTLE_PAUSE,
    clock: Clock = SYSTEM_CLOCK,
) -> list[FileStep]:
    """Read the index and decide every file (:func:`.preflight.compare`); a refusal only when
    it stays (:func:`settled_steps`, ``pause`` seconds between readings on ``clock``).

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
    """
    return settled_steps(session, target, plan, _refuses_none, pause=pause, clock=clock)


def settled_steps(
    session: requests.Session,
    target: Target,
    plan: Plan,
    accept: Callable[[list[FileStep]], bool],
    *,
    reads: int = SETTLE_READS,
    pause: float = SETTLE_PAUSE,
    clock: Clock = SYSTEM_CLOCK,
) -> list[FileStep]:
    """:func:`.preflight.compare` on the index, read again while ``accept`` rejects the steps,
    at most ``reads`` readings ``pause`` seconds apart (on ``clock``); the last reading is
    returned either way.

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
    """
    for attempt in range(reads):
        if attempt:
            clock.sleep(pause)
        listing, hashes = read_index(session, target, plan)
        steps = compare(plan, listing.by_filename(), hashes)
        if accept(steps):
            break
    return steps


def _all_on_index(steps: list[FileStep]) -> bool:
    return all(s.action == "skip" for s in steps)


def _refuses_none(steps: list[FileStep]) -> bool:
    return not any(s.action == "refuse" for s in steps)


def publish(
    session: requests.Session,
    target: Target,
    plan: Plan,
    steps: list[FileStep],
    upload_one: Uploader,
    options: UploadOptions,
    *,
    guard: OverwriteGuard | None = None,
) -> ProjectOutcome:
    """Upload the files whose step is ``upload`` (wheels first, the sdist last), then verify;
    ``options.log`` says each step, ``options.clock`` times the pauses.

    ``steps`` must come from :func:`preflight` and hold no refusal. ``guard`` (None: the
    index refuses overwrites): while active, each file is looked up again just before its
    upload and the verification reads the index :func:`confirm_pause` after the last upload
    ended; while probing, the first file uploaded is uploaded again to learn whether the
    index refuses overwrites (module docstring). A set's runs share one guard.

    Raises:
        IndexUnavailableError: the index cannot be read again after a failure or for the
            verification (exit 4).
    """
    done = [replace(s, outcome="skipped") if s.action == "skip" else s for s in steps]
    try:
        return _upload_and_verify(session, target, plan, steps, done, upload_one, options, guard)
    except IndexUnavailableError as exc:
        unsure = next((i for i, s in enumerate(done) if s.outcome == "unknown"), None)
        return _unreadable(plan, done, unsure, exc)


def _upload_and_verify(
    session: requests.Session,
    target: Target,
    plan: Plan,
    steps: list[FileStep],
    done: list[FileStep],
    upload_one: Uploader,
    options: UploadOptions,
    guard: OverwriteGuard | None,
) -> ProjectOutcome:
    """:func:`publish`'s work; ``done`` is updated in place as files go, so that a reading
    of the index that fails (:class:`IndexUnavailableError`) leaves what is known in it."""
    log, clock = options.log, options.clock
    spans: list[float] = []
    last_upload_end = 0.0
    for i, step in enumerate(done):
        if step.action != "upload":
            continue
        started = clock.monotonic()
        if guard is not None and guard.active and not guard.probing:
            # (the first file of a probed run: the preflight's reading, moments ago, stands)
            now = settled_steps(session, target, plan, _refuses_none, clock=clock)[i]
            if now.action == "skip":
                done[i] = replace(step, outcome="found-on-index")
                continue
            if now.action == "refuse":
                return _overtaken(plan, done, i, now.index_sha256)
        try:
            status, detail = upload_one(step.file)
        except KeyboardInterrupt:
            raise InterruptedRun(_interrupted_message(done, i)) from None
        last_upload_end = clock.monotonic()
        spans.append(last_upload_end - started)
        if status in (200, 201):
            done[i] = replace(step, outcome="uploaded")
            if guard is not None and guard.probing:
                try:
                    said = guard.learn(*upload_one(step.file))
                    log(f"probe: {step.file.filename} uploaded again: {said}")
                except KeyboardInterrupt:
                    raise InterruptedRun(_interrupted_message(done, i)) from None
            continue
        log(f"upload of {step.file.filename} failed ({detail}); reading the index again")
        done[i] = replace(step, outcome="unknown")  # until the index says
        live = settled_steps(session, target, plan, _refuses_none, clock=clock)[i]
        if live.action == "skip":
            done[i] = replace(step, outcome="found-on-index")
            continue
        if live.action == "refuse":
            return _overtaken(plan, done, i, live.index_sha256)
        rest = [
            replace(s, outcome="not-uploaded") if s.outcome is None else s for s in done[i + 1 :]
        ]
        if status is None:
            # no answer: the index may have taken the file and not list it yet
            return ProjectOutcome(
                plan,
                (*done[: i + 1], *rest),
                EXIT_NETWORK,
                f"The upload of {step.file.filename} to {redact_text(target.upload_url)} got "
                f"no answer ({detail}) and the index does not list it yet: it may still reach "
                f"the index (unknown). {_live_sentence(done[:i], other=True)} "
                f"{_fix_for(status)}",
            )
        done[i] = replace(step, outcome="failed")
        # 400/409 with the file not listed: the index refuses the name itself (PyPI never takes
        # a file name twice, not even after the file was deleted): a refusal, not an outage.
        code = (
            EXIT_REFUSED
            if status in (400, 409)
            else EXIT_CREDENTIALS
            if status in (401, 403)
            else EXIT_NETWORK
        )
        return ProjectOutcome(
            plan,
            (*done[: i + 1], *rest),
            code,
            f"The upload of {step.file.filename} to {redact_text(target.upload_url)} failed "
            f"({detail}) and the index does not list it. {_live_sentence(done[:i])} "
            f"{_fix_for(status)}",
        )
    if guard is not None and guard.active and spans:
        # One verification, :func:`confirm_pause` after the last upload ended: an earlier
        # reading could only fail sooner, and the last reading is the one that decides.
        pause = confirm_pause(spans)
        wait = max(0.0, last_upload_end + pause - clock.monotonic())
        log(f"verifying in {wait:.1f} s ({pause:.1f} s after the last upload: the index may "
            "accept overwrites)")  # fmt: skip
        clock.sleep(wait)
    final = settled_steps(session, target, plan, _all_on_index, clock=clock)
    wrong = [i for i, f in enumerate(final) if f.action != "skip"]
    if wrong:
        return _verify_failed(plan, steps, done, final, wrong)
    uploaded = sum(1 for s in done if s.outcome in ("uploaded", "found-on-index"))
    return ProjectOutcome(
        plan,
        tuple(done),
        EXIT_OK,
        f"{plan.project} {plan.version}: {uploaded} uploaded, {len(done) - uploaded} already "
        "there; every file is on the index with our sha256.",
    )


def _unreadable(
    plan: Plan, done: list[FileStep], unsure: int | None, exc: IndexUnavailableError
) -> ProjectOutcome:
    """The report when the index cannot be read during or after the uploads (exit 4): each
    file as live (uploaded, or there before), unknown (its upload failed and the index could
    not be asked) or not uploaded."""
    steps = tuple(
        replace(s, outcome="unknown")
        if i == unsure
        else replace(s, outcome="not-uploaded")
        if s.outcome is None
        else s
        for i, s in enumerate(done)
    )
    live = [s.file.filename for s in steps if s.outcome in LIVE_OUTCOMES]
    unknown = [s.file.filename for s in steps if s.outcome == "unknown"]
    held = [s.file.filename for s in steps if s.outcome == "not-uploaded"]
    return ProjectOutcome(
        plan,
        steps,
        EXIT_NETWORK,
        f"The index could not be read during or after the upload ({exc.message}). Live on "
        f"the index (it took them, or had them): {', '.join(live) or 'none'}. Unknown (the "
        f"upload got no answer): {', '.join(unknown) or 'none'}. Not uploaded: "
        f"{', '.join(held) or 'none'}. Run the same command again when the index answers: "
        "files already there with our bytes are skipped.",
    )


def check_project(
    session: requests.Session,
    target: Target,
    plan: Plan,
    options: UploadOptions,
    overwrites: tuple[bool | None, OverwriteGuard],
) -> ProjectOutcome:
    """The checks of one project before any upload: :func:`preflight` (its steps, outcome
    None); a refusal (exit 1) when any file conflicts, or when the index says it replaces
    files (devpi ``volatile``, from ``overwrites``, :func:`overwrite_guard`'s answer) and
    ``options.allow_volatile`` is false; the contents of the files to upload checked
    (:func:`.dists.check_contents`).

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
        ConfigError: a file to upload is not a valid distribution file (exit 2).
    """
    volatile = overwrites[0]
    said = "nothing" if volatile is None else f"volatile={volatile}"
    options.log(f"overwrites: index says {said}")
    steps = preflight(session, target, plan, clock=options.clock)
    if not plan.contents_checked:  # only the files to upload: a skipped file is not sent
        check_contents(s.file for s in steps if s.action == "upload")
    if volatile and not options.allow_volatile:
        return ProjectOutcome(
            plan,
            tuple(replace(s, outcome="not-uploaded") for s in steps),
            EXIT_REFUSED,
            f"Refused, nothing uploaded: {redact_text(target.index_url)} is a volatile devpi "
            "index (its configuration says volatile: true): it replaces a file when other "
            "bytes arrive under the same name, so two runs at once can leave one build's "
            "wheel next to another build's sdist. Upload to a non-volatile index (devpi index "
            "<user>/<index> volatile=False), or pass --allow-volatile-index to accept that: "
            "then every file is checked again before its upload and after a pause at the end, "
            "and a replaced file is exit 1.",
        )
    if any(s.action == "refuse" for s in steps):
        return ProjectOutcome(
            plan,
            tuple(steps),
            EXIT_REFUSED,
            refusal_message(steps, plan.version, dev_rule=options.dev_rule),
        )
    todo = sum(1 for s in steps if s.action == "upload")
    return ProjectOutcome(plan, tuple(steps), EXIT_OK, f"{todo} to upload.")


def _overtaken(plan: Plan, done: list[FileStep], i: int, live_sha256: str | None) -> ProjectOutcome:
    """Another build's bytes are live under ``done[i]``'s name: stop (exit 1)."""
    step = done[i]
    rest = [replace(s, outcome="not-uploaded") if s.outcome is None else s for s in done[i + 1 :]]
    done_i = replace(step, outcome="failed", index_sha256=live_sha256)
    return ProjectOutcome(
        plan,
        (*done[:i], done_i, *rest),
        EXIT_REFUSED,
        f"{step.file.filename} is now on the index with other bytes (sha256 "
        f"{live_sha256}, ours {step.file.sha256}): another build published it "
        f"while this one ran, and its bytes are live. {_live_sentence(done[:i])} Find "
        "which build made them; this run uploads nothing more.",
    )


def _verify_failed(
    plan: Plan,
    before: list[FileStep],
    done: list[FileStep],
    final: list[FileStep],
    wrong: list[int],
) -> ProjectOutcome:
    """The verification after the upload found files that are not ours: exit 1 when any is
    live with other bytes (torn or replaced), else exit 4 (missing)."""
    parts = []
    for i in wrong:
        f, saw = final[i], before[i].index_sha256 or "nothing"
        if f.action == "upload":
            parts.append(f"{f.file.filename}: not listed (ours {f.file.sha256})")
        else:
            parts.append(
                f"{f.file.filename}: live sha256 {f.index_sha256}, ours {f.file.sha256}, "
                f"the preflight saw {saw}"
            )
    names = "; ".join(parts)
    marked = list(done)
    for i in wrong:
        marked[i] = replace(done[i], outcome="failed", index_sha256=final[i].index_sha256)
    if any(final[i].action == "refuse" for i in wrong):
        return ProjectOutcome(
            plan,
            tuple(marked),
            EXIT_REFUSED,
            f"TORN OR REPLACED: after the upload the index serves bytes that are neither ours "
            f"nor what the preflight saw ({names}). Another run uploaded other bytes under "
            "these names at the same time and the index accepted the overwrite, or tore the "
            "writes into a file that matches no build. Check what is live now and replace or "
            "remove it by hand; upload one version from one run at a time (a CI concurrency "
            "group) or use an index that refuses overwrites.",
        )
    return ProjectOutcome(
        plan,
        tuple(marked),
        EXIT_NETWORK,
        f"Verification failed after the upload: {names}. The index does not serve our "
        "bytes for these files; check the index before re-running.",
    )


def _interrupted_message(done: list[FileStep], current: int) -> str:
    # done[current] has an outcome when the interrupted upload was the probe's second one
    live = [s.file.filename for s in done[: current + 1] if s.outcome is not None]
    rest = [s.file.filename for s in done[current + 1 :] if s.action == "upload"]
    said = (
        f"Live on the index now: {', '.join(live)}."
        if live
        else "No file of this set is live from this run."
    )
    return (
        f"Interrupted while uploading {done[current].file.filename} (it may or may not have "
        f"reached the index). {said} Not uploaded: {', '.join(rest) or 'none'}. Run the same "
        "command again to finish the set: files already there with our bytes are skipped."
    )


def _live_sentence(before: list[FileStep], *, other: bool = False) -> str:
    live = [s.file.filename for s in before if s.outcome in LIVE_OUTCOMES]
    if not live:
        return f"No {'other ' if other else ''}file of this set was uploaded by this run."
    return f"Live on the index now: {', '.join(live)}; run again to finish the set."


def _fix_for(status: int | None) -> str:
    if status in (401, 403):
        return (
            "The index refused the credentials: check the username and password or token "
            "(-u/-p, TWINE_USERNAME/TWINE_PASSWORD, .pypirc or keyring) and that this account "
            "may upload this project; running again with the same credentials will not help."
        )
    if status is None:
        return "No answer came (network): run again; files already there will be skipped."
    if status in (400, 409):
        return (
            "The index refuses this file (see its words above); if it says the name was used "
            "before (PyPI never takes a file name twice, even after a deletion), give the fix "
            "a new version."
        )
    return "Run again when the index is healthy; files already there will be skipped."
