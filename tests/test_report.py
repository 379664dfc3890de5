"""The upload report: one shape for a project alone and for a co-released set.

A project alone is a set of one (:mod:`vcrelease.publish.setupload`), so its JSON document and
its table come from the same renderer as a set's (:mod:`vcrelease.cli.report`). These tests
hold the document's keys (format 2 keeps every key of both earlier shapes), that ``files``
lists each file once, and what the table shows; the end-to-end runs against real indexes are in
``test_upload.py``, ``test_sets.py``, ``test_promote.py`` and ``test_channel.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vcrelease.cli.report import REPORT_FORMAT, report_json, show_report
from vcrelease.publish.dists import DistFile, Plan
from vcrelease.publish.preflight import FileStep
from vcrelease.publish.report import ProjectOutcome, Report, held_back, mark_not_uploaded

FORMAT_1_PROJECT_KEYS = {"project", "version", "policy", "dry_run", "exit_code", "message", "files"}
"""The keys of a project's document before format 2."""
FORMAT_1_SET_KEYS = {
    "set", "order", "policy", "dry_run", "exit_code", "message", "projects", "files"
}  # fmt: skip
"""The keys of a set's document before format 2."""
FILE_KEYS = {
    "filename", "sha256", "size", "action", "reason", "index_sha256", "outcome", "live"
}  # fmt: skip
POLICY = {"action": "upload", "reason": "a release build of v1.0.0"}


def _plan(project: str, version: str, sha: str) -> Plan:
    stem = f"{project.replace('-', '_')}-{version}"
    files = (
        DistFile(Path(f"{stem}-py3-none-any.whl"), f"{stem}-py3-none-any.whl", "wheel",
                 project, version, sha * 64, 100),
        DistFile(Path(f"{stem}.tar.gz"), f"{stem}.tar.gz", "sdist", project, version,
                 sha * 64, 200),
    )  # fmt: skip
    return Plan(project, version, files)


def _done(plan: Plan) -> ProjectOutcome:
    steps = (
        FileStep(plan.files[0], "upload", "not on the index", outcome="uploaded"),
        FileStep(plan.files[1], "skip", "on the index with our sha256", outcome="skipped"),
    )
    return ProjectOutcome(plan, steps, 0, f"{plan.project}: 1 uploaded, 1 already there.")


ALONE = Report.of(_done(_plan("pkg-a", "1.0.0", "a")))
SET = Report(
    (_done(_plan("pkg-b", "2.0.0", "b")), _done(_plan("pkg-a", "1.0.0", "a"))),
    0,
    "The set, in the order pkg-b -> pkg-a: done.",
)


@pytest.mark.parametrize("report", [ALONE, SET], ids=["alone", "set"])
def test_one_document_shape_for_a_project_alone_and_a_set(report: Report) -> None:
    doc = report_json(report, POLICY)
    assert set(doc) == FORMAT_1_PROJECT_KEYS | FORMAT_1_SET_KEYS | {"format"}
    assert doc["format"] == REPORT_FORMAT == 2
    assert doc["set"] is (len(report.projects) > 1)
    assert doc["order"] == list(report.order)
    # files: every file of the run once, in upload order, with its project
    assert [f["filename"] for f in doc["files"]] == [s.file.filename for s in report.steps]
    assert len({f["filename"] for f in doc["files"]}) == len(doc["files"])
    for f, step in zip(doc["files"], report.steps, strict=True):
        assert set(f) == FILE_KEYS | {"project"}
        assert f["project"] == step.file.project
    # projects: the same files grouped, each with its own exit code and message
    assert [p["project"] for p in doc["projects"]] == list(report.order)
    for p, outcome in zip(doc["projects"], report.projects, strict=True):
        assert [f["filename"] for f in p["files"]] == [s.file.filename for s in outcome.steps]
        assert (p["exit_code"], p["message"]) == (outcome.exit_code, outcome.message)
        assert all(set(f) == FILE_KEYS for f in p["files"])
    assert "error" not in doc


def test_a_project_alone_keeps_its_name_and_version_at_the_top() -> None:
    doc = report_json(ALONE, POLICY)
    assert (doc["project"], doc["version"], doc["set"]) == ("pkg-a", "1.0.0", False)
    assert [f["live"] for f in doc["files"]] == [True, True]
    doc = report_json(SET, POLICY)
    assert (doc["project"], doc["version"], doc["set"]) == (None, None, True)


def test_a_refusal_has_an_error_and_held_files() -> None:
    plans = [_plan("pkg-b", "2.0.0", "b"), _plan("pkg-a", "1.0.0", "a")]
    report = held_back(plans, "refuse", "a pull request build uploads nothing", 1)
    doc = report_json(report, {"action": "refuse", "reason": report.message})
    assert doc["error"] == {"type": "Refused", "message": report.message}
    assert {f["outcome"] for f in doc["files"]} == {"not-uploaded"}
    assert {f["live"] for f in doc["files"]} == {False}
    assert report_json(held_back(plans[:1], "refuse", "x", 4), POLICY)["error"]["type"] == "Failed"


def test_files_not_sent_are_marked_not_uploaded_and_the_rest_kept() -> None:
    plan = _plan("pkg-a", "1.0.0", "a")
    steps = (
        FileStep(plan.files[0], "upload", "not on the index"),
        FileStep(plan.files[1], "refuse", "other bytes on the index", index_sha256="c" * 64),
    )
    marked = mark_not_uploaded(ProjectOutcome(plan, steps, 1, "refused"))
    assert [s.outcome for s in marked.steps] == ["not-uploaded", None]


@pytest.mark.parametrize("report", [ALONE, SET], ids=["alone", "set"])
def test_one_table_for_a_project_alone_and_a_set(
    report: Report, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # no folded cells
    show_report(report, POLICY, "table")
    out = capsys.readouterr().out
    for step in report.steps:
        assert step.file.filename in out
    assert POLICY["reason"] in out
    assert report.message in out
    if len(report.projects) > 1:
        assert "set, in upload order: pkg-b 2.0.0 -> pkg-a 1.0.0" in out
    else:
        assert "pkg-a 1.0.0" in out.splitlines()[0]
        assert "set, in upload order" not in out


def test_a_failure_is_said_on_stderr_with_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    report = held_back([_plan("pkg-a", "1.0.0", "a")], "refuse", "refused: stale files", 1)
    show_report(report, POLICY, "json", prog="vcrelease promote")
    captured = capsys.readouterr()
    assert json.loads(captured.out)["exit_code"] == 1
    assert captured.err == "vcrelease promote: error: refused: stale files\n"
