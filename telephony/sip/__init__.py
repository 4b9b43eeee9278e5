"""SIP user agents on pjsua2: the test caller behind `hotline call` (and, later, test agents)."""
