"""``python -m ddcodec``: the ``ddcodec`` command, for environments without the console script on PATH."""
from .cli import main

main(prog_name="ddcodec")
