"""Outputs: what an engine hands back (records), summaries over replications (metrics) and
self-describing run folders on disk (results)."""
