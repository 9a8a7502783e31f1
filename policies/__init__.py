"""The storage policy pack: validators, the pack entry point and a standalone evaluator."""
