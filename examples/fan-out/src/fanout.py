"""A signup is published once and handled three ways, independently retried."""

import json

from sls_neutral.runtime import Response


def signup(request, ctx):
    user = request.json()
    if "email" not in user:
        return Response(status=400, body={"error": "email is required"})
    ctx.topic("signups").publish({"email": user["email"], "name": user.get("name", "")})
    return Response(status=202, body={"accepted": user["email"]})


def crm_sync(event, ctx):
    ctx.bucket("crm").put(f"contacts/{event.data['email']}.json", json.dumps(event.data))


def analytics(event, ctx):
    ctx.log.info("signup", domain=event.data["email"].split("@")[-1])


def send_welcome(event, ctx):
    ctx.bucket("crm").put(f"welcomed/{event.data['email']}", b"sent")
