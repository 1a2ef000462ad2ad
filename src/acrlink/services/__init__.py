"""The only writers of the store: each call is one transaction applying a resource's rules."""
