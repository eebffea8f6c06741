"""pytest configuration for the API fuzzing run: the integration tests' harness (tests/integration/
harness.py) provides the server fixtures and the hook that attaches server log tails to failures."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from harness import parley, pytest_runtest_makereport, smtp_sink, tmp_root  # noqa: E402,F401
