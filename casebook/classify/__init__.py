"""Type screening from text: category, place (gazetteer) and urgency, each with a confidence and
the words that decided it."""
