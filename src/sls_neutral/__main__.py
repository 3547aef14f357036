"""``python -m sls_neutral`` runs the command line."""

from sls_neutral.core.cli.main import main

if __name__ == "__main__":
    main()
