"""Registry request handlers: each parses, calls one service, renders."""
