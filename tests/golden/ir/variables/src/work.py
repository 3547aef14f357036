def run(event, ctx):
    ctx.topic("events").publish(event.data)


def tick(event, ctx):
    ctx.log.info("tick")
