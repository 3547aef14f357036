def on_upload(event, ctx):
    data = event.data
    ctx.queue("resize-jobs").send({"bucket": data["bucket"], "key": data["key"]})
    ctx.topic("photo-events").publish({"uploaded": data["key"]})
