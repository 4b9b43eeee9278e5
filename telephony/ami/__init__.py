"""AMI (panoramisk): queue and agent state, agent login/pause (used fully by the agent desk)."""
