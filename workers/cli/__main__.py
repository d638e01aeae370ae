"""``python -m workers.cli``: the ``newswatch`` command."""

from workers.cli import main

main()
