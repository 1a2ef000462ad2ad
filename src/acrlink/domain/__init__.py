"""Pure rules over plain data. No I/O here."""
