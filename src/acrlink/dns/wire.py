"""DNS wire format: reading a query's question fast, and rendering a view's answer once.

A response is rendered with dnspython for the lower-cased question and cached; a hit only copies the
query's ID, RD bit and question bytes (names keep the asker's 0x20 casing) into the cached bytes.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from acrlink.domain import dnsview

log = logging.getLogger("acrlink.dns")
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
    """The question's name as dnsview takes it: labels lower-cased (ASCII only, as DNS compares names),
    joined by dots, no trailing dot; every byte of a label outside ``[a-z0-9_*-]`` written ``\\DDD``
    (so a label that holds a dot stays one label, and the text reads back exactly with dnspython)."""
    qtype: int
    qclass: int
    question_bytes: bytes
    """The question section exactly as asked."""
    edns: bool
    udp_payload: int
    opcode: int
    exact: bool = True
    """Nothing follows the question and its OPT record: the datagram is just the query."""


_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_*")


def _label_text(label: bytes) -> str:
    """One lower-cased label in presentation form (``\\DDD`` for anything but ``[a-z0-9_*-]``)."""
    lowered = label.lower()
    if all(byte in _PLAIN for byte in lowered):
        return lowered.decode("ascii")
    return "".join(chr(byte) if byte in _PLAIN else f"\\{byte:03d}" for byte in lowered)


def read_question(packet: bytes) -> Question:
    """Parse header, the one question and an OPT record; ``Malformed`` or ``FormError`` otherwise.

    Labels are taken exactly as they are on the wire (a label may hold any byte, a dot included);
    compression pointers in a question are refused (FORMERR), as a query has nothing to point at."""
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
    edns, payload, opt_end = False, PLAIN_UDP_LIMIT, end
    if arcount:
        edns, payload, opt_end = _read_opt(packet, end, ident, flags)
    name = ".".join(_label_text(label) for label in labels)
    exact = arcount <= 1 and opt_end == len(packet)
    return Question(ident, flags, name, qtype, qclass, packet[HEADER:end], edns, payload, opcode, exact)


def _read_opt(packet: bytes, offset: int, ident: int, flags: int) -> tuple[bool, int, int]:
    """The additional section must be a single OPT record at the root: (edns, UDP payload, its end)."""
    if offset + 11 > len(packet) or packet[offset] != 0:
        raise FormError(ident, flags)
    rtype, payload = struct.unpack("!HH", packet[offset + 1 : offset + 5])
    rdlength = struct.unpack("!H", packet[offset + 9 : offset + 11])[0]
    if rtype != TYPE_OPT or offset + 11 + rdlength > len(packet):
        raise FormError(ident, flags)
    return True, max(PLAIN_UDP_LIMIT, min(payload, EDNS_PAYLOAD)), offset + 11 + rdlength


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
    """The full response for the lower-cased question (ID 0), as acrlink caches it.

    A record that cannot be put in wire form (stored before ARM validated it) makes the answer
    SERVFAIL, with a warning, instead of no answer at all."""
    qname = dns.name.from_text(question.name or ".")
    try:
        return _message(qname, question, answer).to_wire()
    except (dns.exception.DNSException, ValueError) as error:
        log.warning("cannot serve %s type %d: %s", question.name, question.qtype, error)
        return _message(qname, question, dnsview.Answer(dnsview.SERVFAIL)).to_wire()


def _message(qname: dns.name.Name, question: Question, answer: dnsview.Answer) -> dns.message.Message:
    message = dns.message.Message(id=0)
    message.flags = dns.flags.QR | dns.flags.RA
    message.question.append(
        dns.rrset.RRset(
            qname, dns.rdataclass.RdataClass.make(question.qclass), dns.rdatatype.RdataType.make(question.qtype)
        )
    )
    message.set_rcode(dns.rcode.Rcode.make(answer.rcode))
    for record in answer.records:
        message.answer.append(dns.rrset.from_text(record.name + ".", record.ttl, "IN", record.type, _value(record)))
    for record in answer.authority:
        message.authority.append(dns.rrset.from_text(record.name + ".", record.ttl, "IN", record.type, record.value))
    if question.edns:
        message.use_edns(0, payload=EDNS_PAYLOAD)
    return message


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
