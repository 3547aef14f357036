"""A sample third-party sls-neutral plugin (tests install it with pip)."""
