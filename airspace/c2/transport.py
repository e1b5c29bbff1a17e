"""Sending Cursor on Target to one TAK endpoint: PyTAK opens the connection its URL names (TCP, TLS
with a client certificate, UDP unicast or multicast), the events are written, the connection is
closed. One connection per send: a TAK endpoint that went away and came back is simply connected to
again at the next send (docs/C2.md: delivery)."""

import asyncio
from configparser import ConfigParser
from urllib.parse import urlsplit

import pytak

SCHEMES = ("tcp", "tls", "udp")


class SendFailed(Exception):
    """The endpoint could not be reached or did not take the events this time: tried again later."""


def url_problem(url: str) -> str | None:
    """Why a TAK endpoint may not have this URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        return "Give a tcp://, tls:// or udp:// URL (udp to a multicast group address for multicast)."
    try:
        port = parts.port
    except ValueError:
        return "The port is not a number from 0 to 65535."
    if not parts.hostname or not port:
        return "Give the host and the port, e.g. tcp://tak.example.org:8087."
    return None


def _config(endpoint):
    """The PyTAK configuration of an endpoint (its COT_URL and PYTAK_* settings)."""
    parts = urlsplit(endpoint.url)
    # UDP write-only: without it PyTAK also binds a reader on the destination's port.
    scheme = "udp+wo" if parts.scheme == "udp" else parts.scheme
    values = {"COT_URL": f"{scheme}://{parts.hostname}:{parts.port}"}
    if parts.scheme == "udp":
        values["PYTAK_MULTICAST_TTL"] = str(endpoint.multicast_ttl)
        if endpoint.multicast_interface:
            values["PYTAK_MULTICAST_LOCAL_ADDR"] = endpoint.multicast_interface
    if parts.scheme == "tls":
        values.update(
            {
                "PYTAK_TLS_CLIENT_CERT": endpoint.tls_client_cert,
                # PyTAK wants a key file: a PEM holding both key and certificate is its own key file.
                "PYTAK_TLS_CLIENT_KEY": endpoint.tls_client_key
                or ("" if endpoint.tls_client_cert.endswith(".p12") else endpoint.tls_client_cert),
                "PYTAK_TLS_CLIENT_PASSWORD": endpoint.tls_client_password,
                "PYTAK_TLS_CLIENT_CAFILE": endpoint.tls_ca_file,
            }
        )
    config = ConfigParser(interpolation=None)
    config["c2"] = {key: value for key, value in values.items() if value}
    return config["c2"]


# How long to listen after a TLS handshake before writing: under TLS 1.3 a server that refuses the
# client's certificate says so only after the handshake has completed on the client's side, and
# events written meanwhile would be counted as sent.
TLS_SETTLE_S = 0.3


async def _refused(reader):
    """Whether the server closed the connection or sent a TLS alert right after connecting."""
    try:
        return await asyncio.wait_for(reader.read(65536), TLS_SETTLE_S) == b""
    except TimeoutError:
        return False


async def _send(config, events, timeout_s):
    reader, writer = await asyncio.wait_for(pytak.protocol_factory(config), timeout_s)
    try:
        if config["COT_URL"].startswith("tls") and await _refused(reader):
            raise ConnectionError("The TAK server closed the connection after the TLS handshake.")
        if isinstance(writer, asyncio.StreamWriter):
            for event in events:
                writer.write(event)
            await asyncio.wait_for(writer.drain(), timeout_s)
        else:
            # A datagram per event: TAK reads one CoT event per UDP packet.
            for event in events:
                await writer.send(event)
    finally:
        writer.close()
        if isinstance(writer, asyncio.StreamWriter):
            try:
                await asyncio.wait_for(writer.wait_closed(), timeout_s)
            except (OSError, TimeoutError):
                pass


def send(endpoint, events: list[bytes], *, timeout_s: float) -> None:
    """Write `events` to the endpoint on a new connection; SendFailed if it cannot be done now."""
    try:
        asyncio.run(_send(_config(endpoint), events, timeout_s))
    except (OSError, TimeoutError, SyntaxError, ValueError, SystemError) as error:
        # PyTAK reports a certificate it cannot load or verify as SyntaxError or ValueError.
        raise SendFailed(f"{type(error).__name__}: {error}"[:1000]) from error
