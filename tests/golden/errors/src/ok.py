def h(request, ctx):
    return {"ok": True}
