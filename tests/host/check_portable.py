#!/usr/bin/env python3
"""check_portable.py SRCROOT: fail when portable code knows about an architecture.

core/, fs/ and drivers/ must not test __x86_64__/__aarch64__ (or any other arch macro),
contain inline assembly, or include a port's private headers; they see a port only through
arch/arch.h. Comments and string literals are ignored. Prints TAP: one point per rule, and a
self-test point showing that each rule catches a planted violation.
"""
import os
import re
import sys
import tempfile

PORTABLE = ('core', 'fs', 'drivers')
ARCH_MACROS = re.compile(r'\b__(x86_64|amd64|aarch64|arm|i386|riscv)__\b|\b__ARM_ARCH\w*')
ASM = re.compile(r'\b(asm|__asm__|__asm)\b')
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
STRIP = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.S)


def private_headers(root):
    """Header names that exist only inside a port's folder."""
    names = set()
    for port in ('x86_64', 'aarch64'):
        d = os.path.join(root, 'arch', port)
        for dirpath, _, files in os.walk(d):
            names.update(f for f in files if f.endswith('.h'))
    return names


def scan(root):
    """Return (rule, file:line, text) for every violation under the portable folders."""
    bad, private = [], private_headers(root)
    for top in PORTABLE:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(('.c', '.h', '.S', '.s')):
                    bad += scan_file(root, os.path.join(dirpath, f), private)
    return bad


def scan_file(root, path, private):
    rel = os.path.relpath(path, root)
    if path.endswith(('.S', '.s')):
        return [('asm', rel + ':1', 'assembly source in portable code')]
    text = open(path, encoding='utf-8', errors='replace').read()
    found = []
    for m in INCLUDE.finditer(text):
        inc = m.group(1)
        line = text.count('\n', 0, m.start()) + 1
        if (inc.startswith('arch/') and inc != 'arch/arch.h') or os.path.basename(inc) in private:
            found.append(('include', '%s:%d' % (rel, line), inc))
    code = STRIP.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text)
    for n, line in enumerate(code.split('\n'), 1):
        if ARCH_MACROS.search(line):
            found.append(('macro', '%s:%d' % (rel, n), line.strip()))
        if ASM.search(line):
            found.append(('asm', '%s:%d' % (rel, n), line.strip()))
    return found


def selftest():
    """Plant one violation of each rule in a scratch tree and check each is caught."""
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, 'core'))
        os.makedirs(os.path.join(t, 'arch', 'x86_64'))
        open(os.path.join(t, 'arch', 'x86_64', 'x86.h'), 'w').write('')
        open(os.path.join(t, 'core', 'a.c'), 'w').write(
            '/* __aarch64__ asm in a comment is fine */\n#include "arch/arch.h"\n'
            '#ifdef __x86_64__\n#endif\nvoid f(void) { asm volatile("nop"); }\n'
            '#include "x86.h"\n#include "arch/aarch64/gic.h"\n')
        rules = sorted(set(r for r, _, _ in scan(t)))
        return rules == ['asm', 'include', 'macro'] and len(scan(t)) == 4


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    bad = scan(root)
    points = [('macro', 'no architecture macros in core/, fs/, drivers/'),
              ('asm', 'no inline assembly in core/, fs/, drivers/'),
              ('include', 'no includes of arch-private headers (only arch/arch.h)')]
    failed = 0
    for i, (rule, name) in enumerate(points, 1):
        hits = [b for b in bad if b[0] == rule]
        print('%s %d - %s' % ('not ok' if hits else 'ok', i, name))
        for _, where, what in hits:
            print('# %s: %s' % (where, what))
        failed += bool(hits)
    ok = selftest()
    print('%s %d - the check catches a planted violation of each rule' %
          ('ok' if ok else 'not ok', len(points) + 1))
    print('1..%d' % (len(points) + 1))
    return 1 if failed or not ok else 0


if __name__ == '__main__':
    sys.exit(main())
