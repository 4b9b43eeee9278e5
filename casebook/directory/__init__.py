"""The directory: units and sections, categories, places, channels, routing rules, deadlines."""
