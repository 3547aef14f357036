def resize(event, ctx):
    key = event.data["key"]
    original = ctx.bucket("photos").get(key)
    ctx.bucket("photos").put("thumbs/" + key.rsplit("/", 1)[-1], original[:1024])
