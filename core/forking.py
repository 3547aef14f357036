"""When this process may fork a working copy of itself: forkpool's second builder, the head start's helper."""

from __future__ import annotations

import os
import sys


def allowed() -> bool:
    """Linux only, more than one CPU (on one, a copy only competes for it), never beside another thread (a
    forked child holds copies of their locks), and never with ``SLSN_NO_FORK=1``."""
    threading = sys.modules.get("threading")  # not imported: no thread was started through it
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
            and (threading is None or threading.active_count() == 1)
            and os.environ.get("SLSN_NO_FORK", "") in ("", "0", "false"))
