"""`python -m grouplake ...`: the same as the `grouplake` command."""

from grouplake.cli import main

main()
