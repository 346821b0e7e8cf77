#!/usr/bin/env python3
"""check_arch_doc.py SRCROOT: every function arch/arch.h declares is named in
docs/arch-interface.md (in backticks). Prints TAP."""
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else '.'
header = open(root + '/arch/arch.h').read()
header = re.sub(r'/\*.*?\*/', '', header, flags=re.S)
doc = open(root + '/docs/arch-interface.md').read()
names = sorted(set(re.findall(r'\b((?:arch_|kmain)\w*)\s*\(', header)) |
               set(re.findall(r'\b(arch_name)\b', header)))
missing = [n for n in names if '`%s`' % n not in doc]
print('%s 1 - docs/arch-interface.md names all %d arch.h functions' %
      ('not ok' if missing else 'ok', len(names)))
for n in missing:
    print('# missing: %s' % n)
print('1..1')
sys.exit(1 if missing else 0)
