"""``make demo``: the emulator, ``meltano run`` into DuckDB, then a summary in SQL."""
