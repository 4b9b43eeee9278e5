"""Speech recognition on Vosk: one model per process, recognizers from a pool, files and live streams.

Imports nothing of telephony or the casebook: audio bytes in, plain transcripts out.
"""
