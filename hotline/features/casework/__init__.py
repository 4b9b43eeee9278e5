"""The case workspace: the landing page, the case list and the case page, for every role."""
