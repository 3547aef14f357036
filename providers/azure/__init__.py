"""The azure provider."""
