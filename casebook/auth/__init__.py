"""People and clients: roles, tokens, API keys, and who may do what."""
