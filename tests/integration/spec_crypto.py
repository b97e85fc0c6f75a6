"""Spec 6 of the dabs message protocol (docs/spec/mp.md), written from the spec alone with
the Python 'cryptography' package (Debian: python3-cryptography): the X25519 agreement, the
HKDF-SHA256 session keys, the farm's Ed25519 signature and the per-datagram AEAD.

    spec_crypto.py --check docs/spec/mp-crypto-vectors.json   # exit 0 when every vector holds
    spec_crypto.py --write docs/spec/mp-crypto-vectors.json   # regenerate them
    spec_crypto.py --keygen PRIVATE.pem PUBLIC.pem             # a farm identity, for tests
"""
import os
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"dabs-mp-v1"
LABEL = b"dabs-open-session"
SUITES = {1: ChaCha20Poly1305, 2: AESGCM}


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_pair(private=None):
    key = X25519PrivateKey.from_private_bytes(private) if private else X25519PrivateKey.generate()
    return key, raw_public(key)


def shared_secret(private_key, peer_public):
    return private_key.exchange(X25519PublicKey.from_public_bytes(peer_public))


def session_keys(secret, client_public, dasp_public, session):
    """(client-to-server, server-to-client)."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=SALT,
               info=client_public + dasp_public + bytes([session])).derive(secret)
    return okm[:32], okm[32:]


def signed_bytes(client_public, dasp_public, session, dasp_va):
    return LABEL + client_public + dasp_public + bytes([session]) + struct.pack(">I", dasp_va)


def verify(farm_public, message, signature):
    try:
        Ed25519PublicKey.from_public_bytes(farm_public).verify(signature, message)
        return True
    except Exception:  # InvalidSignature
        return False


def seal(suite, key, counter, header, plain):
    """8-byte counter || ciphertext || 16-byte tag; nonce 4 zero bytes || counter; AD = header."""
    nonce = b"\0\0\0\0" + struct.pack(">Q", counter)
    return struct.pack(">Q", counter) + SUITES[suite](key).encrypt(nonce, plain, header)


def open_sealed(suite, key, header, sealed):
    """(counter, plaintext); raises on a bad tag."""
    counter = struct.unpack(">Q", sealed[:8])[0]
    nonce = b"\0\0\0\0" + struct.pack(">Q", counter)
    return counter, SUITES[suite](key).decrypt(nonce, sealed[8:], header)


# ---------------------------------------------------------------------------- vectors

def crc8(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def header_bytes(h):
    flags = 1 | (0x80 if "buffer" in h else 0)
    flags |= {"message": 0, "ack": 0x40, "nak": 0x20, "reply": 0x60}[h["kind"]]
    b0 = 0x80 | (0x40 if h["crc"] else 0) | h["minutes"]
    out = bytes([flags]) + struct.pack(">HBB", h["command"], h["session"], h["transaction"])
    out += bytes([b0, (h["seconds"] << 2) | (h["millis"] >> 8), h["millis"] & 0xFF])
    out += struct.pack(">I", h["va"])
    if "buffer" in h:
        out += struct.pack(">HH", h["buffer"], h["buffers"])
    return out


def make_vectors():
    client, client_pub = x25519_pair(bytes(range(1, 33)))
    dasp, dasp_pub = x25519_pair(bytes(range(33, 65)))
    secret = shared_secret(client, dasp_pub)
    assert secret == shared_secret(dasp, client_pub)
    session, dasp_va = 5, 0x00100001
    c2s, s2c = session_keys(secret, client_pub, dasp_pub, session)
    seed = bytes(range(65, 97))
    identity = Ed25519PrivateKey.from_private_bytes(seed)
    message = signed_bytes(client_pub, dasp_pub, session, dasp_va)
    v = {
        "spec": "docs/spec/mp.md section 6",
        "note": "made by tests/integration/spec_crypto.py from the spec alone; dabs must "
                "reproduce every value (mp/crypto/session_crypto_test.cc)",
        "x25519": {"client_private": bytes(range(1, 33)).hex(),
                   "client_public": client_pub.hex(), "dasp_private": bytes(range(33, 65)).hex(),
                   "dasp_public": dasp_pub.hex(), "shared_secret": secret.hex()},
        "hkdf": {"salt_ascii": SALT.decode(), "session": session,
                 "info": (client_pub + dasp_pub + bytes([session])).hex(),
                 "client_to_server": c2s.hex(), "server_to_client": s2c.hex()},
        "signature": {"identity_seed": seed.hex(), "identity_public": raw_public(identity).hex(),
                      "session": session, "dasp_va": dasp_va, "signed_bytes": message.hex(),
                      "signature": identity.sign(message).hex()},
        "datagrams": [],
    }
    cases = [
        ("suite 1, client to server, one datagram", 1, "client_to_server", 7,
         dict(kind="message", command=0x0100, session=session, transaction=3, minutes=12,
              seconds=34, millis=567, crc=True, va=dasp_va),
         b"hello, encrypted dabs"),
        ("suite 2, server to client, buffer 1 of 3 of a reply", 2, "server_to_client", 0x0102030405,
         dict(kind="reply", command=0x0100, session=session, transaction=3, minutes=59,
              seconds=59, millis=999, crc=True, va=0x00100400, buffer=1, buffers=3),
         bytes((i * 7 + 3) % 256 for i in range(40))),
        ("suite 1, server to client, empty payload, no crc", 1, "server_to_client", 0,
         dict(kind="message", command=0x0003, session=session, transaction=0, minutes=0,
              seconds=0, millis=0, crc=False, va=0x00100400),
         b""),
    ]
    for name, suite, direction, counter, h, plain in cases:
        key = c2s if direction == "client_to_server" else s2c
        head = header_bytes(h)
        sealed = seal(suite, key, counter, head, plain)
        datagram = head + sealed
        if h["crc"]:
            datagram += bytes([crc8(datagram)])
        v["datagrams"].append(dict(name=name, suite=suite, direction=direction, counter=counter,
                                   header=h, header_hex=head.hex(), plaintext_hex=plain.hex(),
                                   sealed_payload_hex=sealed.hex(), datagram_hex=datagram.hex()))
    return v


def check_vectors(v):
    """Raises AssertionError naming the first value that does not hold."""
    x = v["x25519"]
    client, client_pub = x25519_pair(bytes.fromhex(x["client_private"]))
    dasp, dasp_pub = x25519_pair(bytes.fromhex(x["dasp_private"]))
    assert client_pub.hex() == x["client_public"], "client public key"
    assert dasp_pub.hex() == x["dasp_public"], "DASP public key"
    secret = shared_secret(client, dasp_pub)
    assert secret.hex() == x["shared_secret"] == shared_secret(dasp, client_pub).hex(), "secret"
    k = v["hkdf"]
    c2s, s2c = session_keys(secret, client_pub, dasp_pub, k["session"])
    assert (c2s.hex(), s2c.hex()) == (k["client_to_server"], k["server_to_client"]), "HKDF"
    s = v["signature"]
    identity = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(s["identity_seed"]))
    message = signed_bytes(client_pub, dasp_pub, s["session"], s["dasp_va"])
    assert message.hex() == s["signed_bytes"], "signed bytes"
    assert identity.sign(message).hex() == s["signature"], "signature"
    assert verify(bytes.fromhex(s["identity_public"]), message, bytes.fromhex(s["signature"]))
    for d in v["datagrams"]:
        key = c2s if d["direction"] == "client_to_server" else s2c
        head = header_bytes(d["header"])
        assert head.hex() == d["header_hex"], d["name"] + ": header"
        sealed = seal(d["suite"], key, d["counter"], head, bytes.fromhex(d["plaintext_hex"]))
        assert sealed.hex() == d["sealed_payload_hex"], d["name"] + ": sealed payload"
        counter, plain = open_sealed(d["suite"], key, head, sealed)
        assert counter == d["counter"] and plain.hex() == d["plaintext_hex"], d["name"]
        datagram = head + sealed + (bytes([crc8(head + sealed)]) if d["header"]["crc"] else b"")
        assert datagram.hex() == d["datagram_hex"], d["name"] + ": datagram"
    return len(v["datagrams"])


def keygen(private_path, public_path):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    with open(public_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--keygen":
        return keygen(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 3 or sys.argv[1] not in ("--check", "--write"):
        sys.exit(__doc__)
    if sys.argv[1] == "--write":
        with open(sys.argv[2], "w") as f:
            json.dump(make_vectors(), f, indent=1)
            f.write("\n")
        return
    with open(sys.argv[2]) as f:
        n = check_vectors(json.load(f))
    print("spec crypto: every vector holds (%d sealed datagrams)" % n)


if __name__ == "__main__":
    main()
