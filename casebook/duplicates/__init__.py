"""Finding the same appeal reported again (by the same or another citizen, on any channel)."""
