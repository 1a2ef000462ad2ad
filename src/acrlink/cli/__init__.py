"""The ``acrlink`` command line."""
