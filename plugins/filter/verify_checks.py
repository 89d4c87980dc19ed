# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the verify role derives from the check declarations (``DECLARED`` in verify_report.py):
the check names, their severities under verify_severity, and what service_probe must read."""

from __future__ import annotations

from ansible_collections.gosvc.hardening.plugins.filter.verify_report import verify_checks


class FilterModule:
    def filters(self):
        return {"verify_checks": verify_checks}
