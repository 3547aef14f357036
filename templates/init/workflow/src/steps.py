"""Workflow steps: plain functions of (input, ctx) that return the step's result."""

from sls_neutral.runtime import StepError


def validate(input, ctx):
    if "id" not in input or "amount" not in input:
        raise StepError("InvalidOrder", "an order needs an id and an amount")
    return {"id": str(input["id"]), "amount": float(input["amount"])}


def charge(input, ctx):
    if input["amount"] > 10_000:
        raise StepError("PaymentDeclined", "amount over the card limit")
    return {"charged": input["amount"]}
