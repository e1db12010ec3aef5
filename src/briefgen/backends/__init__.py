"""LLM backends: the servers briefgen can talk to."""
