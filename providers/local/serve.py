"""Entry point of a detached local runtime: ``python -m sls_neutral.providers.local.serve SPEC_JSON``.

``deploy --detach`` pickles the compiled IR into the state folder and starts this
in its own session; it serves until SIGTERM (``sls-neutral remove``) and writes
the runfile once it accepts requests, which is what ``deploy`` waits for.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from sls_neutral.core.errors import SlsnError
    from sls_neutral.providers.local.runtime import run_forever

    spec = json.loads(argv[0])
    state_dir = Path(spec["state_dir"])
    app = pickle.loads((state_dir / "app.pickle").read_bytes())
    try:
        run_forever(app, state_dir, spec["host"], int(spec["port"]), runfile=True,
                    on_ready=lambda rt: print(f"serving {app.service} ({app.stage}) at {rt.url}", flush=True))
    except SlsnError as exc:
        print(exc.render(), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
