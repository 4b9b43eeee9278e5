"""The audit log: who changed what, when, from where, with the thing before and after."""
