#!/usr/bin/python3
"""A CAN <-> multicast bridge as a python-can 4.1 user would write it: the baseline of
bench/bridge-bench.ts.

A `socketcan` bus and a `udp_multicast` bus (python-can 4.1 can/interfaces/udp_multicast/bus.py
`UdpMulticastBus`), relayed by two threads. Every frame sent to the group carries SENDER_ID in its
`channel` (python-can keeps `channel` as sent), and frames from the group with our own SENDER_ID
are dropped: every python-can udp_multicast bus receives its own datagrams (multicast loop is on
and all buses share port 43113), so without this filter each frame would come back onto its
origin bus.

    /usr/bin/python3 bench/python_bridge.py --can vcan0 --group 239.74.163.2 --sender-id pyA

Prints "ready" on stdout once both buses are open; on SIGTERM/SIGINT it stops and prints one
JSON line of counters.
"""

import argparse
import json
import signal
import sys
import threading

import can


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--can", required=True)
    parser.add_argument("--group", default="239.74.163.2")
    parser.add_argument("--port", type=int, default=43113)
    parser.add_argument("--sender-id", required=True)
    args = parser.parse_args()

    can_bus = can.Bus(interface="socketcan", channel=args.can, fd=True)
    net_bus = can.Bus(interface="udp_multicast", channel=args.group, port=args.port, fd=True)
    stop = threading.Event()
    counts = {"to_multicast": 0, "to_can": 0, "own_echo": 0, "errors": 0}

    def can_to_net():
        while not stop.is_set():
            msg = can_bus.recv(timeout=0.5)
            if msg is None:
                continue
            msg.channel = args.sender_id
            try:
                net_bus.send(msg)
                counts["to_multicast"] += 1
            except can.CanError:
                counts["errors"] += 1

    def net_to_can():
        while not stop.is_set():
            msg = net_bus.recv(timeout=0.5)
            if msg is None:
                continue
            if msg.channel == args.sender_id:
                counts["own_echo"] += 1
                continue
            try:
                can_bus.send(msg)
                counts["to_can"] += 1
            except can.CanError:
                counts["errors"] += 1

    threads = [
        threading.Thread(target=can_to_net, daemon=True),
        threading.Thread(target=net_to_can, daemon=True),
    ]
    for t in threads:
        t.start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while not stop.wait(0.2):
        pass
    for t in threads:
        t.join(2)
    can_bus.shutdown()
    net_bus.shutdown()
    sys.stdout.write(json.dumps(counts) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
