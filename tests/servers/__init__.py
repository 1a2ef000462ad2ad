"""Real servers the tests (and benchmarks) start for themselves: each module starts one kind, on 127.0.0.1 and a
free port, under a directory the caller owns, and stops it by PID."""
