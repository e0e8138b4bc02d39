"""Benchmarks of the hub (`make bench`, bench/README.md); not part of the test suite."""
