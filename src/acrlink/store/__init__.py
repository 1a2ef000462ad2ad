"""Persistence: CRUD and transactions, no rules."""
