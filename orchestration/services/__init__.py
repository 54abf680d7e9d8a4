"""Use cases of the orchestration domain; each owns its transaction."""
