"""The only package that speaks to Asterisk (ARI, AMI) and SIP.

- `ari/`: a thin typed ARI client (REST on httpx, events on a reconnecting websocket).
- `ami/`: AMI through panoramisk, for queue and agent state.
- `calls/`: the Stasis application: call legs, event routing, resync, after-call work.
- `runtime/`: building, configuring, starting and stopping Asterisk itself.
- `sip/`: SIP user agents for test calls (`hotline call`), on pjsua2.
"""
