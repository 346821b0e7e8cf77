#!/bin/sh
# user_text: cat, head, tail and wc on the fixture files (busybox applets).
# covers: USER-002 USER-003 USER-004 USER-005
. /bin/jtest_lib

# "Line A\n" ... "Line B\n" as a printf %b string.
lines() {
	i=$1
	while [ "$i" -le "$2" ]; do
		printf 'Line %d\\n' "$i"
		i=$((i + 1))
	done
}
HELLO='Hello from ext2!\n'

jt_mark
jt_cmd "cat /hello.txt" 0 "$HELLO" cat /hello.txt
jt_cmd "cat /lines.txt: Line 1 to Line 15" 0 "$(lines 1 15)" cat /lines.txt
jt_cmd "cat /lines.txt | wc -c is 111" 0 '111\n' sh -c 'cat /lines.txt | wc -c'
jt_cmd "cat /empty.txt prints nothing" 0 '' cat /empty.txt
jt_cmd "cat /test/nested.txt" 0 'Nested file content\n' cat /test/nested.txt
jt_cmd "cat /deep/path/to/file/data.txt" 0 'Deep nested content\n' cat /deep/path/to/file/data.txt
jt_cmd "cat of two files concatenates them" 0 "${HELLO}Nested file content\n" \
	cat /hello.txt /test/nested.txt
jt_cmd "cat of a missing file: non-zero, nothing on stdout" nz '' cat /no/such/file
jt_cmd "cat of a good then a missing file: the first, then non-zero" nz "$HELLO" \
	cat /hello.txt /no/such/file
jt_behaviour USER-002 "cat prints files exactly; a missing file fails"

jt_mark
jt_cmd "head /lines.txt: Line 1 to Line 10" 0 "$(lines 1 10)" head /lines.txt
jt_cmd "head -n5 /lines.txt ends with Line 5" 0 "$(lines 1 5)" head -n5 /lines.txt
jt_cmd "head -n 3 /lines.txt ends with Line 3" 0 "$(lines 1 3)" head -n 3 /lines.txt
jt_cmd "head -n1 /lines.txt is exactly Line 1" 0 'Line 1\n' head -n1 /lines.txt
jt_cmd "head -n0 /lines.txt prints nothing" 0 '' head -n0 /lines.txt
jt_cmd "head -n10 /hello.txt prints the whole file" 0 "$HELLO" head -n10 /hello.txt
jt_cmd "head of a missing file fails" nz '' head /no/such/file
jt_behaviour USER-003 "head -n N selects the first lines"

jt_mark
jt_cmd "tail /lines.txt: Line 6 to Line 15" 0 "$(lines 6 15)" tail /lines.txt
jt_cmd "tail -n5 /lines.txt starts at Line 11" 0 "$(lines 11 15)" tail -n5 /lines.txt
jt_cmd "tail -n 3 /lines.txt starts at Line 13" 0 "$(lines 13 15)" tail -n 3 /lines.txt
jt_cmd "tail -n1 /lines.txt is exactly Line 15" 0 'Line 15\n' tail -n1 /lines.txt
jt_cmd "tail -n0 /lines.txt prints nothing" 0 '' tail -n0 /lines.txt
jt_cmd "tail -n10 /hello.txt prints the whole file" 0 "$HELLO" tail -n10 /hello.txt
jt_cmd "tail of a missing file fails" nz '' tail /no/such/file
jt_behaviour USER-004 "tail -n N selects the last lines"

jt_mark
jt_cmd "wc /hello.txt: 1 3 17" 0 '        1         3        17 /hello.txt\n' wc /hello.txt
jt_cmd "wc /lines.txt: 15 30 111" 0 '       15        30       111 /lines.txt\n' wc /lines.txt
jt_cmd "wc -l /lines.txt: 15" 0 '15 /lines.txt\n' wc -l /lines.txt
jt_cmd "wc -w /lines.txt: 30" 0 '30 /lines.txt\n' wc -w /lines.txt
jt_cmd "wc -c /lines.txt: 111" 0 '111 /lines.txt\n' wc -c /lines.txt
jt_cmd "wc -lw /lines.txt: 15 30" 0 '       15        30 /lines.txt\n' wc -lw /lines.txt
jt_cmd "wc /empty.txt: 0 0 0" 0 '        0         0         0 /empty.txt\n' wc /empty.txt
jt_cmd "wc of a missing file fails" nz '' wc /no/such/file
jt_behaviour USER-005 "wc counts lines, words and bytes"

jt_done
