#!/usr/bin/env python3
"""A client of the dabs message protocol written from shared/spec/mp.md alone (no dabs code):
opens a session with an echo responder, echoes a small and a multi-buffer payload, closes the
session, and exits 0 only if every answer is exactly what the spec says. With --encrypt the
session is encrypted as spec 6 says (spec_crypto.py beside this file; python3-cryptography),
and the farm's signature is checked against the public key in FILE (PEM).

    spec_client.py HOST PORT [--crc] [--encrypt FILE [--suite 1|2]]
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


def encode(kind, command, session, txn, va, payload=b"", crc=False, buffer=None, seal=None):
    """seal(header, payload) -> sealed payload, for E = 1 (spec 6: the header is the AD)."""
    flags = VERSION
    if kind in (ACK, REPLY):
        flags |= 0x40
    if kind in (NAK, REPLY):
        flags |= 0x20
    if buffer is not None:
        flags |= 0x80
    out = bytes([flags]) + struct.pack(">HBB", command, session, txn)
    out += sent_time_bytes(crc, seal is not None) + struct.pack(">I", va)
    if buffer is not None:
        out += struct.pack(">HH", *buffer)
    out += seal(out, payload) if seal else payload
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
    return dict(kind=kind, command=command, session=session, txn=txn, encrypted=bool(t0 & 0x80),
                va=struct.unpack(">I", data[8:12])[0], buffer=buffer, header=data[:pos],
                payload=data[pos:end])


def tlvs(payload):
    out, pos = {}, 0
    while pos < len(payload):
        tag, length = payload[pos], struct.unpack(">H", payload[pos + 1:pos + 3])[0]
        out[tag] = payload[pos + 3:pos + 3 + length]
        pos += 3 + length
    return out


def tlv(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value


class Session:
    """Spec 6 state of an encrypted session: the suite, each direction's key and counter."""

    def __init__(self, crypto, suite, send_key, receive_key):
        self.crypto, self.suite = crypto, suite
        self.send_key, self.receive_key = send_key, receive_key
        self.counter, self.seen = 0, set()

    def seal(self, header, payload):
        self.counter += 1  # never repeats under one key
        return self.crypto.seal(self.suite, self.send_key, self.counter - 1, header, payload)

    def open(self, header, sealed):
        counter, plain = self.crypto.open_sealed(self.suite, self.receive_key, header, sealed)
        assert counter not in self.seen, "a replayed counter"
        self.seen.add(counter)
        return plain


class Client:
    def __init__(self, host, port, crc):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.3)
        self.peer = (host, port)
        self.crc = crc
        self.sealed = None  # a Session once encrypted

    def datagrams(self, command, session, txn, va, payload):
        """The message as datagrams, split into the largest buffers that fit (spec 1.5, 6)."""
        seal = self.sealed.seal if self.sealed and session else None
        room = MAX_DATAGRAM - 12 - (1 if self.crc else 0) - (24 if seal else 0)
        if len(payload) <= room:
            return [encode(MESSAGE, command, session, txn, va, payload, self.crc, seal=seal)]
        chunk = room - 4
        total = (len(payload) + chunk - 1) // chunk
        return [encode(MESSAGE, command, session, txn, va, payload[i * chunk:(i + 1) * chunk],
                       self.crc, (i, total), seal=seal) for i in range(total)]

    def transact(self, command, session, txn, va, payload, expect_reply=True):
        """Sends a message (split into buffers if needed), resends until answered, ACKs the reply."""
        acked, parts, total = False, {}, None
        for _attempt in range(8):
            for d in self.datagrams(command, session, txn, va, payload):  # resealed each time
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
                if m["encrypted"]:
                    m["payload"] = self.sealed.open(m["header"], m["payload"])
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


def open_session(c, farm_key_file, suite):
    """OPEN_SESSION, with ENC_OFFER when farm_key_file is given: (session, DASP VA)."""
    request = tlv(0x01, b"echo") + tlv(0x03, b"spec-client")
    if farm_key_file:
        import spec_crypto  # beside this file; needs python3-cryptography
        from cryptography.hazmat.primitives import serialization
        with open(farm_key_file, "rb") as f:
            farm_key = serialization.load_pem_public_key(f.read()).public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        mine, mine_public = spec_crypto.x25519_pair()
        request += tlv(0x02, struct.pack(">I", 1 << 4))  # CAPS: encryption
        request += tlv(0x04, bytes([1, suite]) + mine_public)
    body, _ = c.transact(OPEN_SESSION, 0, 7, 0, request)
    t = tlvs(body)
    session, dasp_va = t[0x10][0], struct.unpack(">I", t[0x11])[0]
    if farm_key_file:
        accept = t[0x14]
        assert len(accept) == 97 and accept[0] == suite, "ENC_ACCEPT"
        dasp_public, signature = accept[1:33], accept[33:97]
        signed = spec_crypto.signed_bytes(mine_public, dasp_public, session, dasp_va)
        assert spec_crypto.verify(farm_key, signed, signature), "the farm's signature"
        secret = spec_crypto.shared_secret(mine, dasp_public)
        up, down = spec_crypto.session_keys(secret, mine_public, dasp_public, session)
        c.sealed = Session(spec_crypto, suite, up, down)
    return t, session, dasp_va


def main():
    host, port, crc = sys.argv[1], int(sys.argv[2]), "--crc" in sys.argv
    farm_key = sys.argv[sys.argv.index("--encrypt") + 1] if "--encrypt" in sys.argv else None
    suite = int(sys.argv[sys.argv.index("--suite") + 1]) if "--suite" in sys.argv else 1
    c = Client(host, port, crc)
    t, session, dasp_va = open_session(c, farm_key, suite)
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
    print("spec client: session %d, echoed %d and %d bytes, closed (crc %s, %s)" %
          (session, len(small), len(big), "on" if crc else "off",
           "suite %d" % suite if farm_key else "plaintext"))


if __name__ == "__main__":
    main()
