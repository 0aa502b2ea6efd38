"""Package data (see pyproject.toml): config/ is installed as a package and read with importlib.resources."""
