"""Speech recognition on Vosk (filled by the transcription issue)."""
