"""The case domain: appeals, their lifecycle and clocks, the database, the HTTP API and pages.

`casebook` imports nothing from telephony, IVR or speech code (checked by import-linter).
"""
