"""Conversations between callers and agents, recorded: kept, found, played, held and purged."""
