"""TAK server stand-ins on 127.0.0.1 for the Cursor on Target tests: a TCP listener (optionally TLS,
requiring a client certificate from the test CA) and a UDP one (optionally joined to a multicast
group on the loopback interface). Each parses every event it receives with ElementTree."""

import re
import socket
import ssl
import struct
import threading
import time
import xml.etree.ElementTree as ET

EVENT = re.compile(rb"<event\b.*?</event>", re.DOTALL)


class Listener:
    def __init__(self):
        self.events = []
        self.connections = 0
        self.handshake_failures = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    def _received(self, data):
        events = [ET.fromstring(chunk) for chunk in EVENT.findall(data)]
        with self._lock:
            self.events.extend(events)

    def by_uid(self, uid):
        with self._lock:
            return [event for event in self.events if event.get("uid") == uid]

    def uids(self):
        with self._lock:
            return {event.get("uid") for event in self.events}

    def wait_for_uid(self, uid, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.by_uid(uid):
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"No CoT event {uid} within {timeout}s; got {sorted(self.uids())}")

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)


class TcpListener(Listener):
    """Accepts connections and reads each to its end. With `tls`, a server context that requires a
    client certificate."""

    def __init__(self, port=0, tls=None):
        super().__init__()
        self.tls = tls
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self._spawn(self._accept)

    def _accept(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._read, connection)

    def _read(self, connection):
        connection.settimeout(10)
        if self.tls is not None:
            try:
                connection = self.tls.wrap_socket(connection, server_side=True)
            except (ssl.SSLError, OSError) as error:
                self.handshake_failures.append(error)
                connection.close()
                return
        with self._lock:
            self.connections += 1
        data = b""
        try:
            while chunk := connection.recv(65536):
                data += chunk
        except (OSError, ssl.SSLError):
            pass
        finally:
            connection.close()
        self._received(data)

    def stop(self):
        self._stop.set()
        self.socket.close()
        for thread in self._threads:
            thread.join(timeout=5)


class UdpListener(Listener):
    """Receives datagrams on 127.0.0.1, or on a multicast group joined on the loopback interface."""

    def __init__(self, port=0, group=None):
        super().__init__()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((group or "127.0.0.1", port))
        if group:
            membership = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("127.0.0.1"))
            self.socket.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self._spawn(self._receive)

    def _receive(self):
        while not self._stop.is_set():
            try:
                data, _ = self.socket.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            self._received(data)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.socket.close()
