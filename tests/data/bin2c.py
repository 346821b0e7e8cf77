#!/usr/bin/env python3
"""bin2c.py IN OUT NAME: write a C file defining `const unsigned char NAME[]` and NAME_len."""
import sys

data = open(sys.argv[1], 'rb').read()
name = sys.argv[3]
with open(sys.argv[2], 'w') as f:
    f.write('/* Generated from %s by tests/data/bin2c.py. */\n' % sys.argv[1].split('/')[-1])
    f.write('const unsigned char %s[] __attribute__((aligned(8))) = {\n' % name)
    for i in range(0, len(data), 12):
        f.write('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 12]) + '\n')
    f.write('};\nconst unsigned int %s_len = %d;\n' % (name, len(data)))
