def validate(input, ctx):
    order = input.get("order", input)
    if "id" not in order or "amount" not in order:
        from sls_neutral.runtime import StepError

        raise StepError("InvalidOrder", "an order needs id and amount")
    return {"id": order["id"], "amount": order["amount"]}


def reserve(input, ctx):
    return {"reserved": True, "id": input["id"]}
