"""Package data (see pyproject.toml): templates/ is installed as a package and read with importlib.resources."""
