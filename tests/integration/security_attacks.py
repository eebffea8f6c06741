"""The tally of attacks the security tests (test_security_*.py, test_abuse.py) try, per category.

Each test calls `tried(category, n)` for the attack variants it sends, so the figure is the
number of distinct hostile inputs or requests, not of tests. `pytest_terminal_summary`
(registered by conftest.py) prints the table at the end of the run, and
PARLEY_SECURITY_TALLY=<file> also writes it there as JSON.
"""
from __future__ import annotations

import json
import os
from collections import Counter

CATEGORIES = ("tokens", "authorization", "injection", "secrets", "abuse")

TALLY: Counter = Counter()


def tried(category: str, n: int = 1) -> None:
    assert category in CATEGORIES, category
    TALLY[category] += n


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 (pytest hook)
    if not TALLY:
        return
    terminalreporter.section("security attacks tried")
    for category in CATEGORIES:
        terminalreporter.write_line(f"{category:15} {TALLY[category]:6}")
    terminalreporter.write_line(f"{'total':15} {sum(TALLY.values()):6}")
    if path := os.environ.get("PARLEY_SECURITY_TALLY"):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(dict(TALLY), f, indent=1, sort_keys=True)
