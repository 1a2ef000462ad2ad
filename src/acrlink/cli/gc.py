"""``acrlink gc``: ask the running process for one garbage collection (the ARM view
``Acrlink.Network/garbageCollection``, as the default principal) and print its report."""

from __future__ import annotations

from typing import Any

from acrlink.cli.network import VIEW_API, ViewError, arm_client


def collect(endpoints: dict[str, Any], grace_seconds: float | None, dry_run: bool) -> dict[str, Any]:
    """The report of one collection by the running process (``ViewError`` with ARM's message if refused)."""
    path = f"/subscriptions/{endpoints['subscriptionId']}/providers/Acrlink.Network/garbageCollection"
    body: dict[str, Any] = {"dryRun": dry_run}
    if grace_seconds is not None:
        body["graceSeconds"] = grace_seconds
    with arm_client(endpoints) as client:
        client.timeout = None  # a collection lists every stored blob; it takes what it takes
        answer = client.post(path, params={"api-version": VIEW_API}, json=body)
    if answer.status_code != 200:
        try:
            message = answer.json().get("error", {}).get("message")
        except ValueError:
            message = None
        raise ViewError(str(message or f"{answer.status_code} {answer.text}"))
    report: dict[str, Any] = answer.json()
    return report


def render(report: dict[str, Any]) -> list[str]:
    """The report, one line each: every blob removed, then the totals."""
    verb = "would remove" if report.get("dryRun") else "removed"
    lines = [f"{verb} {digest}" for digest in report.get("blobs") or []]
    lines.append(
        f"{report['blobsRemoved']} blob(s) {verb} ({report['bytesFreed']} bytes), "
        f"{report['linksRemoved']} blob link(s), {report['uploadsRemoved']} upload session(s); "
        f"grace period {report['graceSeconds']:g} s."
    )
    return lines
