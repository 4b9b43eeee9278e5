"""The live wallboard, `/wallboard`: the center right now (callers waiting and for how long,
agents and their states, today's figures, sudden rises), pushed to the screens over a WebSocket
within a second of a change."""
