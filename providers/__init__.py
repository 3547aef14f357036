"""Built-in providers; they register through the sls_neutral entry-point group like third-party ones."""
