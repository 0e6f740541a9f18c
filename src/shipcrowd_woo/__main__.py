"""`python -m shipcrowd_woo` is the `shipcrowd-woo` command."""

from shipcrowd_woo.entrypoints.cli import main

main()
