"""What an agent's desk action can run into, each a clear reason for the page."""


class DeskError(Exception):
    status_code = 400


class NoPhone(DeskError):
    status_code = 404


class PhoneSystemDown(DeskError):
    status_code = 503


class NoCall(DeskError):
    status_code = 409
