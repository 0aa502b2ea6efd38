"""The Elasticsearch 8 engine: language analyzers, aliases, external versions."""
