"""The aws provider."""
