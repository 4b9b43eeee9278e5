"""What an agent's desk action can run into, each a clear reason for the page."""


class DeskError(Exception):
    status_code = 400
    error_id = "refused"


class NoPhone(DeskError):
    status_code = 404
    error_id = "no_phone"


class PhoneSystemDown(DeskError):
    status_code = 503
    error_id = "phone_system_down"


class NoCall(DeskError):
    status_code = 409
    error_id = "no_call"


class NoCarrier(DeskError):
    status_code = 409
    error_id = "no_carrier"


class OnACall(NoCall):
    """The agent is busy with a call (or a consultation) already: finish it first."""

    error_id = "on_a_call"
