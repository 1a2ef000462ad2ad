"""Name resolution as an acrlink host sees it, for Python programs run by ``acrlink exec --from HOST``
(``az acr check-health`` calls ``socket.gethostbyname`` on the login server and data endpoints).

Loaded through PYTHONPATH; standard library only, because it runs inside other programs' interpreters
(az's own virtualenv). Names under ``ACRLINK_RESOLVE_SUFFIXES`` are asked of the host's DNS port
(``ACRLINK_DNS``, ``127.0.0.1:PORT``); every other name resolves as before.
"""

import os
import random
import socket
import struct

_SUFFIXES = tuple(s for s in os.environ.get("ACRLINK_RESOLVE_SUFFIXES", "").split(",") if s)
_SERVER = os.environ.get("ACRLINK_DNS", "")
_original_getaddrinfo = socket.getaddrinfo
_original_gethostbyname = socket.gethostbyname


def _emulated(host):
    name = str(host).lower().rstrip(".")
    return bool(_SERVER) and any(name == s or name.endswith("." + s) for s in _SUFFIXES)


def _query(name):
    """The A addresses the host's view gives for ``name`` (raises socket.gaierror when there are none)."""
    server, port = _SERVER.rsplit(":", 1)
    ident = random.randrange(65536)
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(packet, (server, int(port)))
        data = sock.recv(4096)
    flags, _, answers = struct.unpack("!HHH", data[2:8])
    if flags & 0xF:
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {name}")
    offset = 12 + len(question) + 4
    found = []
    for _ in range(answers):
        while data[offset] and data[offset] & 0xC0 != 0xC0:
            offset += data[offset] + 1
        offset += 2 if data[offset] & 0xC0 == 0xC0 else 1
        rtype, _, _, length = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            found.append(socket.inet_ntoa(data[offset : offset + 4]))
        offset += length
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {name}")
    return found


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own signature
    if not _emulated(host):
        return _original_getaddrinfo(host, port, family, type, proto, flags)
    results = []
    for address in _query(str(host)):
        results.extend(_original_getaddrinfo(address, port, socket.AF_INET, type, proto, flags))
    return results


def gethostbyname(host):
    return _query(str(host))[0] if _emulated(host) else _original_gethostbyname(host)


socket.getaddrinfo = getaddrinfo
socket.gethostbyname = gethostbyname
