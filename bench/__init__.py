"""Benchmarks of the tap against the emulator: throughput, rate ceiling, memory.

Run ``python -m bench`` from the repository root; ``python -m bench --help`` lists
the scenarios and options. Not part of the test suite.
"""
