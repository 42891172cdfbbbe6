"""python-can's udp_multicast codec speed: pack_message and unpack_message(check=True) per second.

Prints one JSON line: {"pack_per_s": ..., "unpack_per_s": ...}. The message is the same 8-byte
classic frame the Node side measures.
"""
import json
import sys
import time

import can
from can.interfaces.udp_multicast.utils import pack_message, unpack_message

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
msg = can.Message(timestamp=1700000000.123456, arbitration_id=0x123, is_extended_id=False,
                  data=bytes(range(8)), channel="vcan0")
packed = pack_message(msg)


def rate(fn):
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(1000):
            fn()
        n += 1000
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


out = {
    "pack_per_s": rate(lambda: pack_message(msg)),
    # What UdpMulticastBus._recv_internal does per datagram.
    "unpack_per_s": rate(lambda: unpack_message(packed, replace={"timestamp": 1.0}, check=True)),
}
print(json.dumps(out))
