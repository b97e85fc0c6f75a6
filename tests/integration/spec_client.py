#!/usr/bin/env python3
"""A client of the dabs message protocol written from shared/spec/mp.md alone (no dabs code):
opens a session with an echo responder, echoes a small and a multi-buffer payload, closes the
session, and exits 0 only if every answer is exactly what the spec says.

    spec_client.py HOST PORT [--crc]
"""
import socket
import struct
import sys
import time

VERSION = 1
OPEN_SESSION, CLOSE_SESSION, ECHO = 0x0001, 0x0002, 0x0100
MESSAGE, ACK, NAK, REPLY = 0, 1, 2, 3
MAX_DATAGRAM = 512


def crc8(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def sent_time_bytes(crc, encrypted=False):
    now = int(time.time() * 1000) % 3_600_000
    minutes, seconds, millis = now // 60_000, (now // 1000) % 60, now % 1000
    b0 = (0x80 if encrypted else 0) | (0x40 if crc else 0) | minutes
    return bytes([b0, (seconds << 2) | (millis >> 8), millis & 0xFF])


def encode(kind, command, session, txn, va, payload=b"", crc=False, buffer=None):
    flags = VERSION
    if kind in (ACK, REPLY):
        flags |= 0x40
    if kind in (NAK, REPLY):
        flags |= 0x20
    if buffer is not None:
        flags |= 0x80
    out = bytes([flags]) + struct.pack(">HBB", command, session, txn) + sent_time_bytes(crc)
    out += struct.pack(">I", va)
    if buffer is not None:
        out += struct.pack(">HH", *buffer)
    out += payload
    if crc:
        out += bytes([crc8(out)])
    assert len(out) <= MAX_DATAGRAM
    return out


def decode(data):
    flags, command, session, txn = data[0], *struct.unpack(">HBB", data[1:5])
    t0 = data[5]
    a, n = bool(flags & 0x40), bool(flags & 0x20)
    kind = {(False, False): MESSAGE, (True, False): ACK, (False, True): NAK, (True, True): REPLY}[(a, n)]
    end = len(data)
    if t0 & 0x40:
        assert crc8(data[:-1]) == data[-1], "CRC of an answer does not match"
        end -= 1
    pos = 12
    buffer = None
    if flags & 0x80:
        buffer = struct.unpack(">HH", data[12:16])
        pos = 16
    return dict(kind=kind, command=command, session=session, txn=txn,
                va=struct.unpack(">I", data[8:12])[0], buffer=buffer, payload=data[pos:end])


def tlvs(payload):
    out, pos = {}, 0
    while pos < len(payload):
        tag, length = payload[pos], struct.unpack(">H", payload[pos + 1:pos + 3])[0]
        out[tag] = payload[pos + 3:pos + 3 + length]
        pos += 3 + length
    return out


def tlv(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value


class Client:
    def __init__(self, host, port, crc):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.3)
        self.peer = (host, port)
        self.crc = crc

    def transact(self, command, session, txn, va, payload, expect_reply=True):
        """Sends a message (split into buffers if needed), resends until answered, ACKs the reply."""
        chunk = MAX_DATAGRAM - 12 - 4 - (1 if self.crc else 0)
        if len(payload) <= MAX_DATAGRAM - 12 - (1 if self.crc else 0):
            datagrams = [encode(MESSAGE, command, session, txn, va, payload, self.crc)]
        else:
            total = (len(payload) + chunk - 1) // chunk
            datagrams = [encode(MESSAGE, command, session, txn, va, payload[i * chunk:(i + 1) * chunk],
                                self.crc, (i, total)) for i in range(total)]
        acked, parts, total = False, {}, None
        for _attempt in range(8):
            for d in datagrams:
                self.sock.sendto(d, self.peer)
            deadline = time.time() + 1.0
            while time.time() < deadline:
                try:
                    data, sender = self.sock.recvfrom(2048)
                except socket.timeout:
                    break
                m = decode(data)
                if m["session"] != session or m["txn"] != txn or m["command"] != command:
                    continue
                if m["kind"] == NAK:
                    raise RuntimeError("NAK %d" % struct.unpack(">H", m["payload"][:2])[0])
                if m["kind"] == ACK:
                    acked = True
                    if not expect_reply:
                        return None
                elif m["kind"] == REPLY:
                    if m["buffer"] is None:
                        body = m["payload"]
                    else:
                        parts[m["buffer"][0]] = m["payload"]
                        total = m["buffer"][1]
                        if len(parts) < total:
                            continue
                        body = b"".join(parts[i] for i in range(total))
                    self.sock.sendto(encode(ACK, command, session, txn, 0, b"", self.crc), sender)
                    return body, sender
        raise RuntimeError("no answer to command 0x%04x (acked=%s)" % (command, acked))


def main():
    host, port, crc = sys.argv[1], int(sys.argv[2]), "--crc" in sys.argv
    c = Client(host, port, crc)
    body, _ = c.transact(OPEN_SESSION, 0, 7, 0, tlv(0x01, b"echo") + tlv(0x03, b"spec-client"))
    t = tlvs(body)
    session, dasp_va = t[0x10][0], struct.unpack(">I", t[0x11])[0]
    if 0x12 in t:  # DASP_ENDPOINT: family, address, port
        family = t[0x12][0]
        assert family == 4
        c.peer = (socket.inet_ntoa(t[0x12][1:5]), struct.unpack(">H", t[0x12][5:7])[0])
    small = b"hello from a client written from the spec"
    echoed, _ = c.transact(ECHO, session, 0, dasp_va, small)
    assert echoed == small, "small echo differs"
    big = bytes((i * 7 + 3) % 256 for i in range(5000))  # 11 buffers each way
    echoed, _ = c.transact(ECHO, session, 1, dasp_va, big)
    assert echoed == big, "multi-buffer echo differs"
    c.transact(CLOSE_SESSION, session, 2, dasp_va, b"", expect_reply=False)
    print("spec client: session %d, echoed %d and %d bytes, closed (crc %s)" %
          (session, len(small), len(big), "on" if crc else "off"))


if __name__ == "__main__":
    main()
