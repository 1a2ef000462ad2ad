"""ARM resource types, each declared once; the catalog lists them."""
