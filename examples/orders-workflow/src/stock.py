"""Reserve stock for an order's items; an item called 'unobtainium' is never in stock."""

from sls_neutral.runtime import StepError


def reserve(input, ctx):
    missing = [item for item in input.get("items", []) if item == "unobtainium"]
    if missing:
        raise StepError("OutOfStock", f"not in stock: {', '.join(missing)}")
    return {"reserved": len(input.get("items", [])), "id": input["id"]}
