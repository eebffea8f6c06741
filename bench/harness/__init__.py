"""The benchmark harness: starts servers and load generators, measures, reports."""
