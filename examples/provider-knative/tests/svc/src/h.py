def api(request, ctx):
    return {"hello": "knative"}


def audit(event, ctx):
    ctx.log.info("audit", data=event.data)


def tick(event, ctx):
    ctx.log.info("tick")
