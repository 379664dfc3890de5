"""A long-running filter process for tests (``gitattributes``, "Long Running Filter Process"):
``python filterproc.py MODE LOG``. It logs one ``start`` line per process to LOG, then
serves every request. MODE: ``upper`` (clean upper-cases, smudge lower-cases), ``error``
(every clean answers status=error), ``abort`` (status=abort), ``noclean`` (offers smudge
only), ``exit`` (exits after the handshake), ``garbage`` (answers a malformed packet)."""

from __future__ import annotations

import sys


def read_packet() -> bytes | None:
    head = sys.stdin.buffer.read(4)
    if len(head) < 4:
        raise SystemExit(0)
    size = int(head, 16)
    return None if size == 0 else sys.stdin.buffer.read(size - 4)


def read_list() -> list[bytes]:
    lines = []
    while (p := read_packet()) is not None:
        lines.append(p.rstrip(b"\n"))
    return lines


def write(*packets: bytes | None) -> None:
    for p in packets:
        sys.stdout.buffer.write(b"0000" if p is None else b"%04x" % (len(p) + 4) + p)
    sys.stdout.buffer.flush()


def main() -> None:
    mode, log = sys.argv[1], sys.argv[2]
    with open(log, "a") as f:
        f.write("start\n")
    assert read_list() == [b"git-filter-client", b"version=2"]
    write(b"git-filter-server\n", b"version=2\n", None)
    read_list()
    offered = [b"capability=smudge\n"] if mode == "noclean" else [b"capability=clean\n"]
    write(*offered, None)
    if mode == "exit":
        return
    while True:
        request = read_list()
        content = b""
        while (p := read_packet()) is not None:
            content += p
        command = request[0].split(b"=", 1)[1]
        if mode == "garbage":
            write(b"status=success\n", None)
            sys.stdout.buffer.write(b"zz")
            sys.stdout.buffer.flush()
            return
        if mode in ("error", "abort"):
            write(b"status=" + mode.encode() + b"\n", None)
            continue
        out = content.upper() if command == b"clean" else content.lower()
        write(b"status=success\n", None)
        write(*[out[i : i + 65516] for i in range(0, len(out), 65516)], None)
        write(None)  # the final status list: empty, "success" stands


if __name__ == "__main__":
    main()
