"""pytest configuration for the Parley integration tests.

Everything lives in harness.py (fixtures `smtp_sink`, `parley`, `server`, `client`, the
`Client` helper, and the hook that attaches server log tails to failing tests) and
security_attacks.py (the tally of the security tests' attacks, printed at the end); this
file only registers them with pytest.
"""
from harness import (  # noqa: F401  (fixtures and hooks are found by name)
    client,
    parley,
    pytest_runtest_makereport,
    server,
    smtp_sink,
    tmp_root,
)
from security_attacks import pytest_terminal_summary  # noqa: F401,E402
