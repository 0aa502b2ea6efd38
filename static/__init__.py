"""Package data (see pyproject.toml): static/ is installed as a package and read with importlib.resources."""
