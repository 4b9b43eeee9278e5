"""The agent's desk: logging in to the queues, pausing, and (later) the screen pop.

Lives in `hotline/` because it joins the casebook (who the agent is) and telephony (Asterisk's
queues through AMI), which must not import each other.
"""
