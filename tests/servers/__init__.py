"""Real servers the tests start for themselves (one module each), and the fixtures that hand them out."""
