def cleanup(event, ctx):
    ctx.log.info("cleanup tick", time=event.time)
