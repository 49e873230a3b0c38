"""Speed and quality measurements that print tables. Never imported by the package, never
asserted in tests: run `python -m benchmarks [NAME ...]`."""
