"""Microsoft.Network resource types: virtual networks, subnets, peerings, network interfaces,
private endpoints and their private DNS zone groups."""
