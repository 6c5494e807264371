"""`python -m parcelaudit` runs the command line."""

from parcelaudit.cli import main

main()
