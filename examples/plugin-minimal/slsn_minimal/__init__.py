"""slsn-plugin-minimal: a complete third-party sls-neutral plugin in one module (see plugin.py)."""

__version__ = "0.1.0"
