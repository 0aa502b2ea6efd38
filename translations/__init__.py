"""Package data (see pyproject.toml): translations/ is installed as a package and read with importlib.resources."""
