"""Demo mode: a stand-in Anthropic Messages API, so claude sessions run without a key."""
