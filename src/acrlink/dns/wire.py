"""DNS wire format: reading a query's question fast, and rendering a view's answer once.

A response is rendered with dnspython for the lower-cased question and cached; a hit only copies the
query's ID, RD bit and question bytes (names keep the asker's 0x20 casing) into the cached bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from acrlink.domain import dnsview

HEADER = 12
EDNS_PAYLOAD = 1232
"""What acrlink advertises and uses as the UDP limit with EDNS (the 2020 DNS flag day value)."""
PLAIN_UDP_LIMIT = 512
TYPE_OPT = 41
ZONE_TRANSFERS = {dns.rdatatype.AXFR, dns.rdatatype.IXFR}


class Malformed(Exception):
    """Not a DNS query acrlink can answer at all (no usable header)."""


@dataclass(frozen=True)
class Question:
    id: int
    flags: int
    name: str
    """Lower case, no trailing dot."""
    qtype: int
    qclass: int
    question_bytes: bytes
    """The question section exactly as asked."""
    edns: bool
    udp_payload: int
    opcode: int


def read_question(packet: bytes) -> Question:
    """Parse header, the one question and an OPT record; ``Malformed`` or ``FormError`` otherwise."""
    if len(packet) < HEADER:
        raise Malformed("shorter than a DNS header")
    ident, flags, qdcount, ancount, nscount, arcount = struct.unpack("!HHHHHH", packet[:HEADER])
    if flags & 0x8000:
        raise Malformed("a response, not a query")
    opcode = (flags >> 11) & 0xF
    if qdcount != 1 or ancount or nscount:
        raise FormError(ident, flags)
    offset, labels = HEADER, []
    while True:
        if offset >= len(packet):
            raise FormError(ident, flags)
        length = packet[offset]
        if length & 0xC0 or offset + 1 + length > len(packet):
            raise FormError(ident, flags)
        offset += 1
        if length == 0:
            break
        labels.append(packet[offset : offset + length])
        offset += length
    if offset + 4 > len(packet) or sum(len(label) + 1 for label in labels) > 254:
        raise FormError(ident, flags)
    qtype, qclass = struct.unpack("!HH", packet[offset : offset + 4])
    end = offset + 4
    edns, payload = False, PLAIN_UDP_LIMIT
    if arcount:
        edns, payload = _read_opt(packet, end, ident, flags)
    try:
        name = b".".join(labels).decode("ascii").lower()
    except UnicodeDecodeError:
        raise FormError(ident, flags) from None
    return Question(ident, flags, name, qtype, qclass, packet[HEADER:end], edns, payload, opcode)


def _read_opt(packet: bytes, offset: int, ident: int, flags: int) -> tuple[bool, int]:
    """The additional section must be a single OPT record at the root."""
    if offset + 11 > len(packet) or packet[offset] != 0:
        raise FormError(ident, flags)
    rtype, payload = struct.unpack("!HH", packet[offset + 1 : offset + 5])
    if rtype != TYPE_OPT:
        raise FormError(ident, flags)
    return True, max(PLAIN_UDP_LIMIT, min(payload, EDNS_PAYLOAD))


class FormError(Exception):
    """A query with a readable header but an unusable body: answered FORMERR."""

    def __init__(self, ident: int, flags: int) -> None:
        super().__init__("malformed question")
        self.ident = ident
        self.flags = flags


def error_response(ident: int, query_flags: int, rcode: int, question: bytes = b"") -> bytes:
    flags = 0x8000 | (query_flags & 0x7900) | 0x0080 | (rcode & 0xF)
    return struct.pack("!HHHHHH", ident, flags, 1 if question else 0, 0, 0, 0) + question


def render(question: Question, answer: dnsview.Answer) -> bytes:
    """The full response for the lower-cased question (ID 0), as acrlink caches it."""
    message = dns.message.Message(id=0)
    message.flags = dns.flags.QR | dns.flags.RA
    qname = dns.name.from_text(question.name or ".")
    message.question.append(dns.rrset.RRset(qname, question.qclass, question.qtype))
    message.set_rcode(answer.rcode)
    for record in answer.records:
        message.answer.append(dns.rrset.from_text(record.name + ".", record.ttl, "IN", record.type, _value(record)))
    for record in answer.authority:
        message.authority.append(dns.rrset.from_text(record.name + ".", record.ttl, "IN", record.type, record.value))
    if question.edns:
        message.use_edns(0, payload=EDNS_PAYLOAD)
    return message.to_wire()


def _value(record: dnsview.Record) -> str:
    if record.type in ("CNAME", "PTR") and not record.value.endswith("."):
        return record.value + "."
    return record.value


def personalize(cached: bytes, question: Question, limit: int | None) -> bytes:
    """The cached response with the asker's ID, RD bit and question bytes; truncated (TC, question
    only) when over the UDP ``limit``."""
    flags = struct.unpack("!H", cached[2:4])[0] | (question.flags & 0x0100)
    body = cached[HEADER + len(question.question_bytes) :]
    if limit is not None and HEADER + len(question.question_bytes) + len(body) > limit:
        header = struct.pack("!HHHHHH", question.id, flags | 0x0200, 1, 0, 0, 0)
        return header + question.question_bytes
    return struct.pack("!HH", question.id, flags) + cached[4:HEADER] + question.question_bytes + body
