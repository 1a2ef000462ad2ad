"""The DNS face: each host's view of names, over UDP and TCP."""
