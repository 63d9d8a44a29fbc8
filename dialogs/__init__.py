"""Use cases, one module per capability: parse the payload, call domain and storage, return cards."""
