"""Runs a command under the unit's system call filter, as systemd would apply it, without systemd.

Usage: seccomp-exec.py UNIT_FILE -- COMMAND ARGS...

Reads SystemCallFilter=, SystemCallErrorNumber= and RestrictAddressFamilies= from the unit,
expands the groups with `systemd-analyze syscall-filter` (this systemd's own tables), then
installs the same seccomp filter with libseccomp (through ctypes; no headers needed) and execs
COMMAND: allowed system calls run, any other fails with the unit's errno instead of killing the
process, and socket(2) of a family not listed fails with EAFNOSUPPORT (as systemd.exec(5) says).
Exit 97 when the filter cannot be installed.
"""
import ctypes
import errno
import os
import re
import socket
import subprocess
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4  # enum scmp_compare (seccomp.h)
AF_MAX = 46  # linux/socket.h


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]
PR_SET_NO_NEW_PRIVS = 38


def scmp_act_errno(err):
    return 0x00050000 | (err & 0xFFFF)


def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    table, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = table.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return table


def expand(names, table, seen=None):
    seen = set() if seen is None else seen
    result = set()
    for name in names:
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                result |= expand(table[name], table, seen)
        else:
            result.add(name)
    return result


def main():
    unit, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    allowed, denied, err, families = None, set(), errno.EPERM, None
    table = groups()
    for line in open(unit, encoding="utf-8"):
        m = re.match(r"^SystemCallFilter=(~?)(.*)$", line.strip())
        if m:
            names = expand(m.group(2).split(), table)
            if m.group(1):
                denied |= names
            else:
                allowed = names if allowed is None else allowed | names
        m = re.match(r"^SystemCallErrorNumber=(\w+)$", line.strip())
        if m:
            err = getattr(errno, m.group(1))
        m = re.match(r"^RestrictAddressFamilies=(.*)$", line.strip())
        if m:
            families = {int(getattr(socket, name)) for name in m.group(1).split()}
    # systemd: an allow list first, then a deny list removes from it (systemd.exec(5)).
    allowed = (allowed or set()) - denied
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.c_void_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(scmp_act_errno(err))
    if not ctx:
        sys.exit(97)
    for name in sorted(allowed):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:  # not a system call on this architecture: systemd skips it too
            continue
        if name == "socket" and families is not None:
            continue
        if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None) != 0:
            print(f"seccomp-exec: cannot allow {name}", file=sys.stderr)
            sys.exit(97)
    if families is not None and "socket" in allowed:
        nr = lib.seccomp_syscall_resolve_name(b"socket")
        for family in range(AF_MAX):
            action = SCMP_ACT_ALLOW if family in families else scmp_act_errno(errno.EAFNOSUPPORT)
            cmp = ScmpArgCmp(0, SCMP_CMP_EQ, family, 0)
            if lib.seccomp_rule_add_array(ctx, action, nr, 1, ctypes.byref(cmp)) != 0:
                print(f"seccomp-exec: cannot add the socket rule for family {family}", file=sys.stderr)
                sys.exit(97)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # NoNewPrivileges=yes
    if lib.seccomp_load(ctx) != 0:
        print("seccomp-exec: seccomp_load failed", file=sys.stderr)
        sys.exit(97)
    sys.stdout.flush()
    os.execv(command[0], command)


main()
