"""Refuse every network connection that does not stay on loopback.

Installed in the pytest process by conftest.py and in every subprocess a test starts
(through ``sitecustomize.py`` in this folder, put on PYTHONPATH with
NIANBAO_NETGUARD=1). Name lookups of non-local hosts are refused too, so not even a
DNS query leaves the machine. Each refused attempt is appended to the file named by
NIANBAO_NETGUARD_LOG, so a test can assert that nothing tried.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_installed = False
attempts: list[str] = []


def is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class OffLoopbackConnection(OSError):
    pass


def _refuse(what: str):
    attempts.append(what)
    log = os.environ.get("NIANBAO_NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")
    raise OffLoopbackConnection(f"nianbao test network guard: {what} refused (only 127.0.0.1 is allowed)")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            _refuse(f"connection to {address[0]}:{address[1]}")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        _check(self, address)
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host):
            _refuse(f"name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
