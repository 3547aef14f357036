"""Knative provider for sls-neutral (an example of a provider added without touching core)."""
