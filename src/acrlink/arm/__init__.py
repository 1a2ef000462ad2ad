"""The ARM face: parse HTTP, call a service, render ARM JSON."""
