"""Re-export of tests/conftest.py's shared_path for modules that cannot import 'conftest' by name."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("slsn_tests_root_conftest",
                                               Path(__file__).resolve().parents[2] / "conftest.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
shared_path = _module.shared_path
