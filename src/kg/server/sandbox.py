"""Take the network away from a query worker process, so the engine itself cannot call out.

Oxigraph evaluates `SERVICE <http://…>` by opening a TCP connection from the process that runs
the query, and pyoxigraph has no switch to turn that off. kg.server.guard refuses such queries
before they run; this module is the second, independent bound: a worker installs a seccomp
filter (Linux) under which `socket(AF_INET…)` and `socket(AF_INET6…)` fail with ENETUNREACH,
so whatever SERVICE clause reached Oxigraph fails inside it and no packet leaves the machine.
The worker talks to the server over a socket pair it inherited (AF_UNIX), which stays usable.

The filter is a few classic-BPF instructions handed to prctl(2): no dependency, nothing to
configure. It needs Linux 3.5 or later on x86-64 or arm64; elsewhere (or where a container
forbids seccomp) `deny_network` says why it could not, the server logs that once, and only the
query check stands between a query and the network (docs/security.md).
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct
import sys

# prctl(2) options and seccomp(2) constants (linux/prctl.h, linux/seccomp.h, linux/filter.h).
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_BPF_RET_K = 0x06  # BPF_RET | BPF_K
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16
# (AUDIT_ARCH_*, __NR_socket) per machine
_ARCHES = {
    "x86_64": (0xC000003E, 41),
    "amd64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
    "arm64": (0xC00000B7, 198),
}
_X32_SYSCALL_BIT = 0x40000000
DENIED_ERRNO = errno.ENETUNREACH


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def network_filter(arch: int, socket_nr: int) -> bytes:
    """The BPF program: socket(AF_INET|AF_INET6, …) fails with ENETUNREACH, all else runs.
    A system call of another architecture (or x32) than the worker's is refused outright."""
    deny = _SECCOMP_RET_ERRNO | DENIED_ERRNO
    program = [
        _insn(_BPF_LD_W_ABS, _OFFSET_ARCH),
        _insn(_BPF_JEQ_K, arch, 1, 0),  # 1: our architecture?
        _insn(_BPF_RET_K, deny),  # 2: no: refuse (no socketcall() side door)
        _insn(_BPF_LD_W_ABS, _OFFSET_NR),  # 3
        _insn(_BPF_JGE_K, _X32_SYSCALL_BIT, 5, 0),  # 4: x32 numbering: refuse (-> 10)
        _insn(_BPF_JEQ_K, socket_nr, 0, 3),  # 5: socket()? no: allow (-> 9)
        _insn(_BPF_LD_W_ABS, _OFFSET_ARG0),  # 6: its domain (low 32 bits)
        _insn(_BPF_JEQ_K, socket.AF_INET, 2, 0),  # 7: -> 10
        _insn(_BPF_JEQ_K, socket.AF_INET6, 1, 0),  # 8: -> 10
        _insn(_BPF_RET_K, _SECCOMP_RET_ALLOW),  # 9
        _insn(_BPF_RET_K, deny),  # 10
    ]
    return b"".join(program)


def deny_network() -> str | None:
    """Forbid this process (and its threads and children) to open IPv4/IPv6 sockets, for
    good. None when done; otherwise why it could not be done (the process is unchanged)."""
    if not sys.platform.startswith("linux"):
        return f"no seccomp on {sys.platform}"
    machine = platform.machine().lower()
    if machine not in _ARCHES:
        return f"no seccomp filter written for {machine}"
    arch, socket_nr = _ARCHES[machine]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError) as exc:
        return f"prctl is not available ({exc})"
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    code = network_filter(arch, socket_nr)
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    if prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(PR_SET_NO_NEW_PRIVS) failed: {errno.errorcode.get(ctypes.get_errno())}"
    if prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(program), 0, 0) != 0:
        return f"prctl(PR_SET_SECCOMP) failed: {errno.errorcode.get(ctypes.get_errno())}"
    return None


def is_network_denied(exc: BaseException) -> bool:
    """Is `exc` (as pyoxigraph raises it) the filter refusing a socket?"""
    return isinstance(exc, OSError) and (
        exc.errno == DENIED_ERRNO or f"os error {DENIED_ERRNO})" in str(exc)
    )


__all__ = ["DENIED_ERRNO", "deny_network", "is_network_denied", "network_filter"]
