"""``python -m bridge``: the command line."""

from bridge.cli import main

main()
