"""The soak: simulated days of the whole loop against the emulator (python -m soak)."""
