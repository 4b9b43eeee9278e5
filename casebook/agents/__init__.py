"""Agents: people with a SIP extension who answer the calls the IVR hands to a person."""
