# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a verify report as JUnit XML: one testsuite per host, one testcase per check.

A failed blocking check is a <failure>; a failed warning or audit check passes (it does not fail
the host) and says what it found in <system-out>; a skipped check is <skipped>. Built with
ElementTree, so the text is always escaped and the document well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible.errors import AnsibleFilterError

# Characters XML 1.0 cannot carry even escaped (journal lines may contain them).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value):
    return _INVALID_XML.sub("?", "" if value is None else str(value))


def verify_junit(report):
    """JUnit XML text for one verify report (see verify_junit.yml)."""
    if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
        raise AnsibleFilterError("verify_junit: the input must be a report from gosvc.hardening.verify_report")
    checks = report["checks"]
    failures = sum(1 for c in checks if c.get("status") == "failed" and c.get("severity") == "blocking")
    skipped = sum(1 for c in checks if c.get("status") == "skipped")
    counts = {"tests": str(len(checks)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", dict(name="gosvc.hardening.verify", **counts))
    suite_attrs = dict(name=_text(report.get("host")), hostname=_text(report.get("host")), **counts)
    if report.get("started_at"):
        suite_attrs["timestamp"] = _text(report["started_at"])
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    properties = ET.SubElement(suite, "properties")
    for key in ("service", "unit", "version", "status", "exposure", "n_restarts"):
        ET.SubElement(properties, "property", name=key, value=_text(report.get(key)))
    classname = _text(f"{report.get('host')}.{report.get('unit')}")
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=_text(check.get("name")))
        detail = _text(check.get("detail"))
        severity = check.get("severity")
        if check.get("status") == "skipped":
            ET.SubElement(case, "skipped", message=detail)
        elif check.get("status") == "failed" and severity == "blocking":
            failure = ET.SubElement(case, "failure", message=detail, type="blocking")
            failure.text = detail
        elif check.get("status") == "failed":
            ET.SubElement(case, "system-out").text = f"{str(severity).upper()} (does not fail the host): {detail}"
        else:
            ET.SubElement(case, "system-out").text = detail
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class FilterModule:
    def filters(self):
        return {"verify_junit": verify_junit}
