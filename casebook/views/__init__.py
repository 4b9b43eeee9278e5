"""Named views of the case list, kept per person."""
