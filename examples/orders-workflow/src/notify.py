"""Publish the outcome of an order, and record published events (a topic subscriber)."""


def notify(input, ctx):
    ctx.topic("order-events").publish({"id": input["id"], "status": input["status"],
                                       "priority": input["priority"]})


def record(event, ctx):
    ctx.log.info("order event", **event.data)
