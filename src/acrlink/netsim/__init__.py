"""The client proxy: how a host on the emulated network reaches the registry face."""
