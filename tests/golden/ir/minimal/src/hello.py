def hello(request, ctx):
    return {"hello": request.query_first("name", "world")}
