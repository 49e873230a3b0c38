"""Policies, co-training, evaluation, the CLI."""
