"""The failure of an invoked Azure function, in the shape every provider reports it.

``invoke`` is runtime_api.invoke (the app's route for HTTP functions, the host's admin endpoint otherwise), and
an HTTP answer of 500 or more is the function's failure: ``{"error", "cause"}`` added to the result (the body's
own ``{"error", "cause"}`` when it has them), so ``sls-neutral invoke`` exits 1. Functions run through the admin
endpoint are asynchronous (202 Accepted): their outcome is in ``sls-neutral logs``, not in the invoke result.
"""

from __future__ import annotations

import json
from typing import Any


def invoke(clients, model, function: str, data: Any) -> dict[str, Any]:
    from sls_neutral.providers.azure.deploy import runtime_api

    result = runtime_api.invoke(clients, model, function, data)
    status = result.get("status")
    if "body" in result and isinstance(status, int) and status >= 500:
        body = result.get("body")
        if isinstance(body, dict) and body.get("error"):
            error, cause = str(body["error"]), str(body.get("cause") or "")
        else:
            text = body if isinstance(body, str) else json.dumps(body)
            error = "FunctionError"
            cause = f"HTTP {status} from {function}" + (f": {str(text)[:300]}" if body not in (None, "") else "") + \
                f" (see 'sls-neutral logs {function} -p azure')"
        result = {**result, "error": error, "cause": cause}
    return result
