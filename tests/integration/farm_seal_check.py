#!/usr/bin/env python3
"""A second implementation of farm seals, written from docs/spec/farm-seal.md alone (with the
`cryptography` package, not dabs' code): it seals every plain datagram of
docs/spec/farm-seal-vectors.json and must produce the vector byte for byte, opens every sealed
one, and refuses each of them with any one byte changed. Exit 0 when all hold.

    python3 tests/integration/farm_seal_check.py docs/spec/farm-seal-vectors.json
"""
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def header_len(d):
    return 16 if d[0] & 0x80 else 12


def seal_key(key, sender, incarnation):
    info = struct.pack(">IQ", sender, incarnation)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dabs-farm-seal-v1",
                info=info).derive(key)


def ad_of(header, seal_header, farm):
    name = farm.encode()
    return header + seal_header + bytes([len(name)]) + name


def seal(plain, key, farm, sender, incarnation, sequence, sealed_at):
    h = header_len(plain)
    crc = plain[5] & 0x40
    payload = plain[h:len(plain) - (1 if crc else 0)]
    header = bytearray(plain[:h])
    header[5] = (header[5] | 0x80) & ~0x40 & 0xFF
    key_id = hashlib.sha256(b"dabs-farm-key-id" + key).digest()[:4]
    seal_header = bytes([1]) + key_id + struct.pack(">IQQQ", sender, incarnation, sequence, sealed_at)
    nonce = bytes(4) + struct.pack(">Q", sequence)
    aead = ChaCha20Poly1305(seal_key(key, sender, incarnation))
    return bytes(header) + seal_header + aead.encrypt(nonce, payload, ad_of(bytes(header), seal_header, farm))


def open_sealed(sealed, key, farm):
    h = header_len(sealed)
    header, s = sealed[:h], sealed[h:h + 33]
    if s[0] != 1 or not (header[5] & 0x80) or header[5] & 0x40:
        raise ValueError("not a version-1 seal")
    if s[1:5] != hashlib.sha256(b"dabs-farm-key-id" + key).digest()[:4]:
        raise ValueError("unknown key")
    sender, incarnation, sequence, _ = struct.unpack(">IQQQ", s[5:33])
    nonce = bytes(4) + struct.pack(">Q", sequence)
    aead = ChaCha20Poly1305(seal_key(key, sender, incarnation))
    payload = aead.decrypt(nonce, sealed[h + 33:], ad_of(header, s, farm))
    out = bytearray(header)
    out[5] &= ~0x80 & 0xFF
    return bytes(out) + payload


def main(path):
    doc = json.load(open(path))
    key, farm = bytes.fromhex(doc["key"]), doc["farm"]
    sender, incarnation = doc["sender"], int(doc["incarnation"], 16)
    assert hashlib.sha256(b"dabs-farm-key-id" + key).digest()[:4].hex() == doc["key_id"]
    for v in doc["vectors"]:
        plain, sealed = bytes.fromhex(v["plain"]), bytes.fromhex(v["sealed"])
        mine = seal(plain, key, farm, sender, incarnation, v["sequence"], v["sealed_at_ms"])
        assert mine == sealed, f"{v['name']}: sealed differs\n{mine.hex()}\n{sealed.hex()}"
        h = header_len(plain)
        expected = bytearray(plain[:len(plain) - (1 if plain[5] & 0x40 else 0)])
        expected[5] &= ~0x40 & 0xFF
        assert open_sealed(sealed, key, farm) == bytes(expected), v["name"]
        for i in range(len(sealed)):
            bad = bytearray(sealed)
            bad[i] ^= 0x01
            try:
                open_sealed(bytes(bad), key, farm)
            except (InvalidTag, ValueError):
                continue
            raise AssertionError(f"{v['name']}: byte {i} changed and still opened")
        try:
            open_sealed(sealed, key, farm + "-other")
            raise AssertionError("another farm's name opened it")
        except InvalidTag:
            pass
    print(f"farm seal vectors: {len(doc['vectors'])} sealed and opened from the spec alone")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/spec/farm-seal-vectors.json"))
