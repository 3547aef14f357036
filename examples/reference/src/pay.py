from sls_neutral.runtime import StepError


def charge(input, ctx):
    if input["amount"] > 5000:
        raise StepError("PaymentDeclined", "card refused")
    return {"charged": input["amount"], "id": input["id"]}
