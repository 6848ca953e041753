"""What one file may add to the index (extract.py applies them; a megabyte of `x=1` is fine).
A module of their own, imported by the pool workers and by the notes that name them: a worker
then loads no protocol types."""

MAX_DEFS = 20_000
MAX_REFS = 50_000
