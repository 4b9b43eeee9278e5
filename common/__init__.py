"""Plain building blocks shared by every package: settings, logging, privacy helpers.

`common` imports nothing else of the project; every other package may import it.
"""
