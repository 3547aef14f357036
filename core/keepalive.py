"""Objects kept until the process exits, instead of being freed one by one on the way out.

The CLI ends a bounded command with ``os._exit`` (:func:`sls_neutral.core.cli.main._exit`): the operating
system takes the whole heap back at once, where freeing it object by object cost 30-50 ms of a large
``package``. But the largest structures were still freed that way earlier, when the function holding them
returned: the project (manifest, IR, positions), the artifact sets, the head start's parse. py-spy put
~25-35 ms of a 1,000-function ``package -p all`` under the frames that dropped them. Those places hand the
structure here instead.

Only the CLI's ``main`` turns this on, for the commands it runs without the cyclic collector and ends with
``os._exit``. Anywhere else (tests, library use, long-running commands) :func:`keep` does nothing and objects
are freed as usual.
"""

from __future__ import annotations

enabled = False
_kept: list = []


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process exits (when enabled)."""
    if enabled:
        _kept.extend(objects)
