#!/usr/bin/env python3
"""test_filter.py: tools/boot's backtrace filter must not depend on how the serial stream is
cut into reads. Feeds a panic report in every split at one point, in two-point splits and
byte by byte, and checks that the output always equals the output of one whole read, that
each backtrace line was rewritten, and that other text (a prompt) passes through unchanged.
Prints TAP. Needs no kernel: without an ELF every frame reads "in ?? (no symbol)".
"""

import importlib.util
import io
import os
import sys
from importlib.machinery import SourceFileLoader

TOOLS = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools")
sys.dont_write_bytecode = True   # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(TOOLS, "lib"))
import janus  # noqa: E402


def load_tool(name):
    """Import an extension-less script from tools/ as a module."""
    loader = SourceFileLoader(name, os.path.join(TOOLS, name))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


boot = load_tool("boot")

PANIC = (b"KERNEL PANIC on CPU 0: test\r\n  x0 0x0000000000000001\r\nbacktrace:\r\n"
         b"  #0 0xffffffffc0204d68\r\n  #1 0xffffffffc0204d08\r\n#2 0x10\r\n"
         b"end of panic report\r\n# 0x not a frame\r\n$ ")


def filtered(chunks, idle_after=False):
    out = io.BytesIO()
    filt = boot.BacktraceFilter(out, janus.Symbolizer(None))
    for chunk in chunks:
        filt.feed(chunk)
    if idle_after:
        filt.idle()
    return out.getvalue()


def splits():
    n = len(PANIC)
    yield [PANIC[i:i + 1] for i in range(n)]
    for i in range(n + 1):
        yield [PANIC[:i], PANIC[i:]]
    for i in range(0, n + 1, 3):
        for j in range(i, n + 1, 5):
            yield [PANIC[:i], PANIC[i:j], PANIC[j:]]


def main():
    print("TAP version 13")
    whole = filtered([PANIC], idle_after=True)
    checks = [
        ("each backtrace line is symbolized", whole.count(b" in ?? (no symbol)") == 3),
        ("indentation and CRLF are kept", b"  #1 0xffffffffc0204d08 in ??" in whole
         and b"(no symbol)\r\n" in whole),
        ("other lines pass unchanged", b"# 0x not a frame\r\n" in whole
         and b"  x0 0x0000000000000001\r\n" in whole),
        ("a prompt without newline appears on idle", whole.endswith(b"\r\n$ ")),
        ("every way of cutting the stream gives the same output",
         all(filtered(c, idle_after=True) == whole for c in splits())),
    ]
    for n, (name, ok) in enumerate(checks, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not checks[0][1]:
        print("# output: " + repr(whole))
    print(f"1..{len(checks)}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
