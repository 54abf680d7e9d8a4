"""The checks as JUnit XML, so any CI system shows a test run's result.

One ``<testsuite name="perftest">`` with one ``<testcase>`` per check: its class name is
``perftest.`` plus the check's first dotted part (``server``, ``concurrency``,
``baseline``, a phase), its name the whole check name, and a failed check carries a
``<failure>`` whose message is the check's detail (docs/design.md §5, "Performance test").
"""

from __future__ import annotations

from xml.etree import ElementTree

from .report import fmt
from .values import Check, Report


def render_junit(report: Report) -> str:
    """The report's checks as a JUnit XML document (UTF-8, with its declaration)."""
    failures = len(report.failed_checks)
    duration = (report.finished_at - report.started_at).total_seconds()
    suites = ElementTree.Element(
        "testsuites", name="perftest", tests=str(len(report.checks)), failures=str(failures)
    )
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="perftest",
        tests=str(len(report.checks)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{duration:.3f}",
        timestamp=report.started_at.replace(tzinfo=None).isoformat(timespec="seconds"),
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("label", report.label),
        ("project", report.project_id),
        ("target", report.target_url),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=value)
    for check in report.checks:
        suite.append(_testcase(check))
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(check: Check) -> ElementTree.Element:
    group = check.name.split(".", 1)[0]
    case = ElementTree.Element("testcase", classname=f"perftest.{group}", name=check.name, time="0")
    summary = f"actual {fmt(check.actual, 2)}, target {fmt(check.target, 2)}: {check.detail}"
    if check.passed:
        ElementTree.SubElement(case, "system-out").text = summary
    else:
        failure = ElementTree.SubElement(case, "failure", message=check.detail, type="threshold")
        failure.text = summary
    return case
