from sls_neutral.runtime import Request, Response, Context


def handle(request: Request, ctx: Context):
    if request.method == "POST":
        key = f"uploads/{ctx.request_id}.jpg"
        ctx.bucket("photos").put(key, request.body)
        return Response(status=201, body={"key": key})
    return {"id": request.path_params.get("id")}
