"""Jinja2 templates of the Azure provider (shipped as package data)."""
