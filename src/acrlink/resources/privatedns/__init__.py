"""Microsoft.Network/privateDnsZones: zones, virtual network links and record sets."""
