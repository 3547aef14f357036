def record(event, ctx):
    ctx.log.info("audit", event_type=event.type, data=event.data)
