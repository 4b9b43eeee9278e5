"""Asterisk itself: its root filesystem, its rendered configuration, its process."""
