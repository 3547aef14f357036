"""Validate an incoming order (the workflow's first step)."""

from sls_neutral.runtime import StepError


def validate(input, ctx):
    try:
        order = {"id": str(input["id"]), "amount": float(input["amount"]), "items": list(input.get("items", []))}
    except (KeyError, TypeError, ValueError):
        raise StepError("InvalidOrder", "an order needs an id and a numeric amount") from None
    if order["amount"] <= 0:
        raise StepError("InvalidOrder", "the amount must be positive")
    return order
