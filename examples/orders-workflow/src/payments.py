"""Charge a card. Amounts ending in .13 simulate a flaky gateway; above 5,000 the card is declined."""

from sls_neutral.runtime import StepError

_attempts: dict[str, int] = {}


def charge(input, ctx):
    amount = float(input["amount"])
    if amount > 5000:
        raise StepError("PaymentDeclined", f"card refused for {amount:.2f}")
    if round(amount * 100) % 100 == 13:
        key = input["attempt_key"]
        _attempts[key] = _attempts.get(key, 0) + 1
        if _attempts[key] < 3:  # fails twice, succeeds on the third attempt (per warm worker)
            raise StepError("PaymentTimeout", "the gateway did not answer in time")
    return {"charged": amount, "id": input["id"]}
