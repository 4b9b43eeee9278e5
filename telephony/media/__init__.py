"""Live call audio: a caller's voice tapped out of Asterisk (snoop + externalMedia RTP) and decoded."""
