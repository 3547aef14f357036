"""Service templates for ``sls-neutral init`` (under init/<name>/)."""
