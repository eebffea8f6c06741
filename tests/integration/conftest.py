"""pytest configuration for the Parley integration tests.

Everything lives in harness.py (fixtures `smtp_sink`, `parley`, `server`, `client`, the
`Client` helper, and the hook that attaches server log tails to failing tests); this file
only registers it with pytest.
"""
from harness import (  # noqa: F401  (fixtures and hooks are found by name)
    client,
    parley,
    pytest_runtest_makereport,
    server,
    smtp_sink,
    tmp_root,
)
