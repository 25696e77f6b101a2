"""``python -m bridge``: the command line."""

from bridge.cli.main import main

main()
