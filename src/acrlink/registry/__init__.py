"""The registry face: OCI Distribution v1.1 and ACR's token service, virtual-hosted by name."""
