"""Exits 0 once the Kafka broker at HOST:PORT answers a Metadata request listing itself.

    python3 ping.py 127.0.0.1:9092 [timeout_s]

A KRaft broker opens its client listener only after it has caught up with the metadata log
and been unfenced, and Metadata lists only unfenced brokers, so a broker in the answer can
create topics and take writes. Metadata v4 is served from Kafka 1.0 to 4.x (which dropped
v0) and predates the tagged fields of v9+, so it is simple to encode.
"""

import socket
import struct
import sys


def metadata_request(correlation_id):
    client_id = b"parley-infra-ping"
    header = struct.pack(">hhih", 3, 4, correlation_id, len(client_id)) + client_id
    body = struct.pack(">i?", 0, False)  # topics: [] (none), allow_auto_topic_creation
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        data += chunk
    return data


def brokers_of(response):
    """Returns the (node_id, host, port) tuples of a Metadata v4 response body."""
    pos = 4  # throttle_time_ms
    (count,) = struct.unpack_from(">i", response, pos)
    pos += 4
    brokers = []
    for _ in range(max(count, 0)):
        node_id, host_len = struct.unpack_from(">ih", response, pos)
        pos += 6
        host = response[pos : pos + host_len].decode()
        pos += host_len
        (port, rack_len) = struct.unpack_from(">ih", response, pos)
        pos += 6 + max(rack_len, 0)
        brokers.append((node_id, host, port))
    return brokers


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(metadata_request(7))
            (size,) = struct.unpack(">i", read_exact(sock, 4))
            if not 4 <= size <= 1 << 20:
                raise ValueError(f"bad response size {size}")
            response = read_exact(sock, size)
    except (OSError, ValueError) as e:
        print(f"ping: {e}", file=sys.stderr)
        return 1
    (correlation_id,) = struct.unpack_from(">i", response, 0)
    if correlation_id != 7:
        print(f"ping: correlation id {correlation_id}, want 7", file=sys.stderr)
        return 1
    try:
        brokers = brokers_of(response[4:])
    except (struct.error, UnicodeDecodeError) as e:
        print(f"ping: malformed Metadata response: {e}", file=sys.stderr)
        return 1
    if not brokers:
        print("ping: no live broker in the Metadata response yet", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
