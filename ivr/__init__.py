"""Call flows of the hotline, written against an abstract call leg.

The IVR never touches Asterisk: it plays prompts, reads keys, records and transfers through the
`CallLeg` protocol (`ivr.ports`), and reaches the casebook and agents through ports as well. So
the same flow runs over ARI in production and over a scripted leg in unit tests.
"""
