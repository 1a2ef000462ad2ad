"""IP address management for virtual networks: prefixes, subnets and addresses, as Azure rules them.

Azure reserves five addresses in every subnet: the network address, the next three (gateway and
Azure DNS) and the broadcast address. Dynamic allocation takes the lowest free address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from acrlink import unconfirmed
from acrlink.errors import BadRequest

Network = ipaddress.IPv4Network
RESERVED_AT_START = 4
SMALLEST_SUBNET = 29


def parse_prefix(prefix: object, owner: str) -> Network:
    """A CIDR prefix whose host bits are zero (``10.0.0.0/24``, not ``10.0.0.1/24``)."""
    if not isinstance(prefix, str):
        raise BadRequest("InvalidAddressPrefixFormat", f"The address prefix {prefix!r} of {owner} is not a string.")
    try:
        loose = ipaddress.IPv4Network(prefix, strict=False)
    except ValueError:
        raise BadRequest(
            "InvalidAddressPrefixFormat",
            f"Address prefix string {prefix} for resource {owner} is not a valid IPv4 CIDR prefix.",
        ) from None
    if str(loose) != prefix:
        raise BadRequest(
            "InvalidCIDRNotation",
            f"The address prefix {prefix} in resource {owner} has an invalid CIDR notation. For the given "
            f"prefix length, the address prefix should be {loose}.",
        )
    return loose


def overlapping(prefixes: Iterable[Network]) -> tuple[Network, Network] | None:
    """The first two prefixes that overlap, or None."""
    seen: list[Network] = []
    for prefix in prefixes:
        for other in seen:
            if prefix.overlaps(other):
                return other, prefix
        seen.append(prefix)
    return None


def check_subnet(
    name: str, prefix: Network, vnet_name: str, vnet_space: list[Network], siblings: dict[str, Network]
) -> None:
    """A subnet lies inside the VNet's address space, is at least a /29 and overlaps no sibling."""
    if not any(prefix.subnet_of(space) for space in vnet_space):
        raise BadRequest(
            "NetcfgSubnetRangeOutsideVnet",
            f"Subnet '{name}' is not valid because its IP address range is outside the IP address range of "
            f"virtual network '{vnet_name}'.",
        )
    if prefix.prefixlen > SMALLEST_SUBNET:
        raise BadRequest(
            unconfirmed.SUBNET_TOO_SMALL_CODE,
            f"Subnet '{name}' with address prefix {prefix} is too small: the smallest supported subnet is "
            f"/{SMALLEST_SUBNET}.",
        )
    for other_name, other in siblings.items():
        if other_name.lower() != name.lower() and prefix.overlaps(other):
            raise BadRequest(
                "NetcfgSubnetRangesOverlap",
                f"Subnet '{name}' is not valid because its IP address range overlaps with that of an existing "
                f"subnet in virtual network '{vnet_name}'.",
            )


def usable(prefix: Network) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """First and last address Azure hands out in a subnet (x.x.x.4 .. broadcast-1)."""
    return prefix.network_address + RESERVED_AT_START, prefix.broadcast_address - 1


@dataclass(frozen=True)
class Allocation:
    """A subnet's address space and the addresses already taken in it: what a new NIC or private endpoint may
    still get."""

    subnet_name: str
    prefix: Network
    taken: frozenset[ipaddress.IPv4Address]

    def allocate(self, count: int) -> list[str]:
        """The ``count`` lowest free addresses, or ``SubnetIsFull``."""
        first, last = usable(self.prefix)
        found: list[str] = []
        candidate = first
        while len(found) < count and candidate <= last:
            if candidate not in self.taken:
                found.append(str(candidate))
            candidate += 1
        if len(found) < count:
            raise BadRequest(
                unconfirmed.SUBNET_FULL_CODE,
                f"Subnet {self.subnet_name} with address prefix {self.prefix} does not have enough capacity "
                f"for {count} IP addresses.",
            )
        return found

    def check_static(self, address: object, owner: str) -> str:
        """A requested address must be in the subnet, outside the reserved ones, and free."""
        try:
            parsed = ipaddress.IPv4Address(address) if isinstance(address, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BadRequest("InvalidPrivateIPAddress", f"The private IP address {address!r} of {owner} is invalid.")
        if parsed not in self.prefix:
            raise BadRequest(
                "PrivateIPAddressNotInSubnet",
                f"IP address {parsed} of {owner} does not belong to subnet {self.subnet_name} with prefix "
                f"{self.prefix}.",
            )
        first, last = usable(self.prefix)
        if not first <= parsed <= last:
            raise BadRequest(
                "PrivateIPAddressInReservedRange",
                f"IP address {parsed} of {owner} is reserved: Azure reserves the first four addresses and the "
                f"last address of subnet {self.subnet_name} ({self.prefix}).",
            )
        if parsed in self.taken:
            raise BadRequest(
                "PrivateIPAddressInUse",
                f"IP address {parsed} requested by {owner} is already allocated in subnet {self.subnet_name}.",
            )
        return str(parsed)

    def with_taken(self, addresses: Iterable[str]) -> Allocation:
        """The same subnet with these addresses taken too (several allocations inside one request)."""
        return Allocation(self.subnet_name, self.prefix, self.taken | {ipaddress.IPv4Address(a) for a in addresses})
