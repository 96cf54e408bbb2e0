#!/usr/bin/env python3
"""Writes the seeds of association_sequence_fuzz (corpus/association_sequence/): what a peer sends
on one connection, as steps of [control byte][PDU] (see the harness). Deterministic: running it
again rewrites the same bytes.

    make_association_sequence_seeds.py [OUT_DIR]    default: corpus/association_sequence beside it
"""
import os
import struct
import sys

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = b"1.2.840.10008.1.1"
CT_IMAGE_STORAGE = b"1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = b"1.2.840.10008.1.2"
EXPLICIT_LE = b"1.2.840.10008.1.2.1"
IMPLEMENTATION_CLASS = b"1.2.826.0.1.3680043.2.1143.107.104.103.115.3.6.7"

# Control bytes (association_sequence_fuzz.cpp): the top three bits pick the kind of step.
READ = 0x00
AT_CAPACITY = 0x01
RELEASE = 0xE0  # we send A-RELEASE-RQ, then read the PDU that follows
SILENCE = 0x80  # no PDU: the read times out


def pdu(pdu_type, body):
    return struct.pack(">BBI", pdu_type, 0, len(body)) + body


def item(item_type, body):
    return struct.pack(">BBH", item_type, 0, len(body)) + body


def ae(title):
    return title.ljust(16, b" ")


def associate_rq(calling, contexts, called=b"ACCESSIONER"):
    body = struct.pack(">HH", 1, 0) + ae(called) + ae(calling) + bytes(32)
    body += item(0x10, APPLICATION_CONTEXT)
    for pc_id, abstract, syntaxes in contexts:
        pc = struct.pack(">BBBB", pc_id, 0, 0, 0) + item(0x30, abstract)
        pc += b"".join(item(0x40, ts) for ts in syntaxes)
        body += item(0x20, pc)
    user = item(0x51, struct.pack(">I", 16384)) + item(0x52, IMPLEMENTATION_CLASS)
    body += item(0x50, user)
    return pdu(0x01, body)


def pdata(*pdvs):
    body = b"".join(struct.pack(">IBB", len(f) + 2, pc_id, mch) + f for pc_id, mch, f in pdvs)
    return pdu(0x04, body)


RELEASE_RQ = pdu(0x05, bytes(4))
RELEASE_RP = pdu(0x06, bytes(4))


def abort(source, reason):
    return pdu(0x07, struct.pack(">BBBB", 0, 0, source, reason))


def element(group, elem, value):
    if len(value) % 2:
        value += b"\0"
    return struct.pack("<HHI", group, elem, len(value)) + value


def command(elements):
    rest = b"".join(element(0x0000, e, v) for e, v in elements)
    return element(0x0000, 0x0000, struct.pack("<I", len(rest))) + rest


def us(v):
    return struct.pack("<H", v)


C_ECHO_RQ = command([(0x0002, VERIFICATION), (0x0100, us(0x0030)), (0x0110, us(1)),
                     (0x0800, us(0x0101))])
INSTANCE = b"1.2.826.0.1.3680043.2.1143.1"
C_STORE_RQ = command([(0x0002, CT_IMAGE_STORAGE), (0x0100, us(0x0001)), (0x0110, us(7)),
                      (0x0700, us(0)), (0x0800, us(0x0000)), (0x1000, INSTANCE)])


def data_set(pixel_bytes):
    pixels = bytes((i * 37 + 11) & 0xFF for i in range(pixel_bytes))
    return (element(0x0008, 0x0016, CT_IMAGE_STORAGE) + element(0x0008, 0x0018, INSTANCE) +
            element(0x0010, 0x0010, b"SEQUENCE^FUZZ") + element(0x7FE0, 0x0010, pixels))


def fragments(stream, size, pc_id, kind):
    """One P-DATA-TF per fragment; the last one carries the last-fragment bit."""
    out = []
    for at in range(0, len(stream), size):
        last = at + size >= len(stream)
        out.append(pdata((pc_id, kind | (0x02 if last else 0), stream[at:at + size])))
    return out


def steps(*pairs):
    return b"".join(bytes([control]) + body for control, body in pairs)


def seeds():
    echo_rq = associate_rq(b"ECHOSCU", [(1, VERIFICATION, [IMPLICIT_LE])])
    store_rq = associate_rq(b"MODALITY", [(1, CT_IMAGE_STORAGE, [EXPLICIT_LE, IMPLICIT_LE])])
    echo = pdata((1, 0x03, C_ECHO_RQ))
    yield "verification.bin", steps((READ, echo_rq), (READ, echo), (READ, RELEASE_RQ))
    # Context 3 (an abstract syntax we do not take) is refused; a PDV on it is A-ABORT reason 6.
    # What the peer sends after is read and ignored in Sta13, until its A-ABORT.
    yield "unaccepted_context.bin", steps(
        (READ, associate_rq(b"ECHOSCU", [(1, VERIFICATION, [IMPLICIT_LE]),
                                         (3, b"1.2.3.4.5", [IMPLICIT_LE])])),
        (READ, pdata((3, 0x03, C_ECHO_RQ))), (READ, echo), (READ, abort(0, 0)))
    # A C-STORE in 10-byte command and 24-byte data fragments, one P-DATA-TF each: the data set
    # passes the harness's 512-byte spool threshold.
    trickle = fragments(C_STORE_RQ, 10, 1, 0x01) + fragments(data_set(560), 24, 1, 0x00)
    yield "trickle.bin", steps((READ, store_rq), *[(READ, p) for p in trickle], (READ, RELEASE_RQ))
    ds = data_set(600)
    yield "abort_mid_data_set.bin", steps(
        (READ, store_rq), (READ, pdata((1, 0x03, C_STORE_RQ))), (READ, pdata((1, 0x00, ds[:200]))),
        (READ, pdata((1, 0x00, ds[200:400]))), (READ, abort(0, 0)))
    # We send A-RELEASE-RQ as the peer's crosses it: AR-8 (Sta10), its RP: AR-10 (Sta12), our RP.
    yield "release_collision.bin", steps((READ, echo_rq), (READ, echo), (RELEASE, RELEASE_RQ),
                                         (READ, RELEASE_RP))
    yield "at_capacity.bin", steps((AT_CAPACITY, echo_rq))
    # P-DATA before any association: A-ABORT (unexpected PDU), then ARTIM runs out in Sta13.
    yield "pdata_before_associate.bin", steps((READ, echo), (SILENCE, b""))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "association_sequence")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        assert len(data) < 2048, (name, len(data))
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
