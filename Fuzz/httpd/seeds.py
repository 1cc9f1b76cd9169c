#!/usr/bin/env python3
# seeds.py: writes the httpd fuzz target's seed inputs (Fuzz/corpus/httpd):
# conversations in the target's record format (fuzz_httpd.c) that reach
# the handshake, requests, pipelining, closes and the timers.
import os
import struct
import sys

OUR_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 2])
FIX = 0x04 | 0x08          # our addresses, right checksums
ACK_LAST = 0x10            # ACK = what the stack last sent
SEQ_LAST = 0x20            # SEQ = what the stack last acknowledged
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def tcp(flags, payload=b"", seq=1000, ack=0, opts=b"", sport=40000, dport=80):
    hl = 20 + len(opts)
    t = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, (hl // 4) << 4, flags, 65535, 0, 0)
    t += opts + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return OUR_MAC + PEER_MAC + b"\x08\x00" + ip + t


def rec(op, frame, dack=0, dseq=0):
    return bytes([op]) + struct.pack(">H", len(frame)) + bytes([dack & 0xff, dseq & 0xff]) + frame


def syn(sport=40000):
    return rec(FIX, tcp(SYN, opts=b"\x02\x04\x05\xb4\x01\x03\x03\x07", sport=sport))


def data(flags, payload=b"", sport=40000):
    return rec(FIX | ACK_LAST | SEQ_LAST, tcp(flags, payload, sport=sport))


def wait(steps):
    return bytes([1, steps])


GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
seeds = {
    "get": syn() + data(ACK) + data(ACK | PSH, GET) + data(ACK) + data(ACK | FIN) + data(ACK),
    "pipeline": syn() + data(ACK) + data(ACK | PSH, GET * 3 + b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n")
        + data(ACK) + wait(50) + data(ACK),
    "errors": syn() + data(ACK) + data(ACK | PSH, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        + data(ACK) + data(ACK | PSH, b"GET / HTTP/2.0\r\n\r\n"),
    "closefirst": syn() + data(ACK) + data(ACK | PSH, b"GET / HTTP/1.0\r\n\r\n") + data(ACK) + data(ACK | FIN)
        + bytes([2]),
    "timers": syn() + wait(255) + wait(255) + wait(255) + data(ACK) + data(ACK | PSH, GET) + wait(100) + wait(255),
    "reset": syn() + data(ACK) + data(RST) + syn(40001) + rec(FIX | SEQ_LAST, tcp(RST | ACK, sport=40001)),
    "ping": rec(FIX, OUR_MAC + PEER_MAC + b"\x08\x00" + struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 1, 0,
            bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + b"\x08\x00\x00\x00\x00\x01\x00\x01"),
    # Large send on (bit 0x80 of the first byte): pipelined answers fill
    # frames beyond the MTU.
    "largesend": bytes([0x80 | FIX]) + syn()[1:] + data(ACK) + data(ACK | PSH, GET * 12) + data(ACK)
        + wait(50) + data(ACK),
    "arp": rec(0, b"\xff" * 6 + PEER_MAC + b"\x08\x06" + struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1,
            PEER_MAC, bytes([10, 0, 0, 1]), b"\0" * 6, bytes([10, 0, 0, 2]))),
}
out = sys.argv[1] if len(sys.argv) > 1 else "Fuzz/corpus/httpd"
os.makedirs(out, exist_ok=True)
for name, data_ in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data_)
