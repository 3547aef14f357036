"""The gcp provider."""
