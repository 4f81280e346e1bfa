"""``python -m ddcodec.rd``: the ``rd`` command without the main CLI."""

from .cli import rd

if __name__ == "__main__":
    rd(prog_name="python -m ddcodec.rd")
