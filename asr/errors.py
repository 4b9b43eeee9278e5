"""What can go wrong with speech, as errors a caller of `asr` can tell apart."""


class AsrError(Exception):
    """Base of the speech errors."""


class ModelNotFound(AsrError):
    """No Vosk model at the configured path (and no packaged one to fall back on)."""


class UnreadableAudio(AsrError):
    """The audio is not a WAV file this module can read (corrupt, truncated, wrong encoding)."""


class EmptyAudio(AsrError):
    """The audio holds no samples at all."""
