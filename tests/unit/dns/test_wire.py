"""Reading a query's question exactly and rendering any answer without an exception."""

from __future__ import annotations

import random
import struct

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from acrlink.dns import wire
from acrlink.domain import dnsview


def _query(name: dns.name.Name, qtype: str = "A", **kwargs: object) -> bytes:
    return dns.message.make_query(name, dns.rdatatype.from_text(qtype), **kwargs).to_wire()  # type: ignore[arg-type]


def test_labels_are_read_exactly_and_written_back_exactly() -> None:
    name = dns.name.Name([b"A.b", b"\\", b"\xc3\xa9", b"*", b"x_Y-1", b""])
    question = wire.read_question(_query(name))
    assert question.name == "a\\046b.\\092.\\195\\169.*.x_y-1"
    assert dns.name.from_text(question.name) == name, "the text reads back as the same labels"
    assert question.exact


def test_trailing_bytes_make_a_question_inexact_but_answerable() -> None:
    packet = _query(dns.name.from_text("www.corp.example."))
    assert wire.read_question(packet).exact
    assert not wire.read_question(packet + b"junk").exact
    with_opt = _query(dns.name.from_text("www.corp.example."), use_edns=0, options=[])
    assert wire.read_question(with_opt).exact and not wire.read_question(with_opt + b"\x00").exact


def test_an_opt_record_longer_than_the_packet_is_a_form_error() -> None:
    packet = bytearray(_query(dns.name.from_text("x.example."), use_edns=0))
    packet[-2:] = struct.pack("!H", 40)
    with pytest.raises(wire.FormError):
        wire.read_question(bytes(packet))


def _answer(name: str, rcode: int = dnsview.NOERROR) -> dnsview.Answer:
    return dnsview.Answer(
        rcode,
        [dnsview.Record(name, "CNAME", 60, "target.example"), dnsview.Record("target.example", "A", 10, "10.0.0.1")],
        [dnsview.Record("corp.example", "SOA", 10, "ns. host. 1 2 3 4 5")],
    )


def test_random_labels_always_get_a_well_formed_answer_with_the_question_as_asked() -> None:
    rng = random.Random(8)
    for _ in range(2000):
        labels = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) for _ in range(rng.randrange(1, 6))]
        name = dns.name.Name([*labels, b""])
        packet = _query(name)
        question = wire.read_question(packet)
        cached = wire.render(question, _answer(question.name))
        response = dns.message.from_wire(wire.personalize(cached, question, None))
        assert response.question[0].name == name
        assert response.answer[0].name == name


def test_a_record_that_cannot_be_encoded_answers_servfail() -> None:
    question = wire.read_question(_query(dns.name.from_text("long.corp.example."), "TXT"))
    bad = dnsview.Answer(dnsview.NOERROR, [dnsview.Record("long.corp.example", "TXT", 60, '"' + "x" * 300 + '"')])
    response = dns.message.from_wire(wire.render(question, bad))
    assert response.rcode() == dns.rcode.SERVFAIL and response.answer == []


def test_random_datagrams_parse_or_fail_only_as_documented() -> None:
    rng = random.Random(88)
    base = _query(dns.name.from_text("www.corp.example."), use_edns=0)
    for _ in range(5000):
        packet = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            packet[rng.randrange(len(packet))] = rng.randrange(256)
        data = bytes(packet[: rng.randrange(len(packet) + 1)]) + bytes(
            rng.randrange(256) for _ in range(rng.randrange(4))
        )
        try:
            question = wire.read_question(data)
        except (wire.Malformed, wire.FormError):
            continue
        wire.render(question, dnsview.Answer(dnsview.NXDOMAIN))
