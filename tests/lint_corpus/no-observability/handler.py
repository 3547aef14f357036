"""Tiny handler for a lint corpus service: lint reads the manifest, never runs this."""


def handle(event, ctx):
    return None
