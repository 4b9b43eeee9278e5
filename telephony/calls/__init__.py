"""The Stasis application: one session per caller, events routed from ARI to call legs.

Files (the same in every feature, as in wazo-calld):
- `wiring.py`: builds the application from settings and ports
- `stasis.py`: event translation: ARI events -> sessions, resync after reconnect
- `session.py` / `leg.py`: the actions on a call (the IVR's `CallLeg` over ARI)
- `recordings.py`: messages kept safe until the casebook has them
- `notifier.py`: events out; `states.py`: named call states; `ports.py`; `errors.py`
"""
