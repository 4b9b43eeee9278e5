"""Asterisk REST Interface: REST client, typed events, and a self-reconnecting event socket."""
