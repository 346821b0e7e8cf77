#!/bin/sh
# /bin/jtest_lib: the TAP helper of the busybox sh tests (tests/user/*.sh), the shell's
# counterpart of userland/lib/jtest.c. A test sources it and prints the same TAP:
#
#   . /bin/jtest_lib
#   jt_mark
#   jt_cmd "cat /hello.txt" 0 'Hello from ext2!\n' cat /hello.txt
#   jt_behaviour USER-002 "cat prints files exactly"
#   jt_done            # prints the plan; exits 0 if every point passed, else 1
#
# Points are "ok N - text" / "not ok N - text"; diagnostics are "# " lines (dropped when
# outputs are compared across platforms, so values that may differ go there); each behaviour
# gives one "JANUS <ID> PASS|FAIL <text>" line. Expected outputs are printf %b strings
# (backslash escapes such as \n are interpreted, % is literal). A command's stdout and stderr
# go to files under $JT_DIR (default /tmp/jt), so trailing newlines are compared too.

JT_DIR=${JT_DIR:-/tmp/jt}
mkdir -p "$JT_DIR"
jt_points=0
jt_failed=0
jt_marked=0

jt_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# jt_ok STATUS TEXT: a point that passes when STATUS is 0 (e.g. jt_ok $? "text").
jt_ok() {
	jt_points=$((jt_points + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $jt_points - $2"
		return 0
	fi
	jt_failed=$((jt_failed + 1))
	echo "not ok $jt_points - $2"
	return 1
}

# jt_show FILE: a file's text as diagnostics, each line between | marks, then its first bytes
# as `od -c` shows them (busybox sed has no `l` command).
jt_show() {
	if [ -s "$1" ]; then
		head -n 30 "$1" | awk '{ print "#     |" $0 "|" }'
		head -c 160 "$1" | od -c | sed 's/^/#     /'
	else
		echo "#     (nothing)"
	fi
}

# jt_status_is GOT WANT: WANT is a number, or "nz" for any non-zero status.
jt_status_is() {
	if [ "$2" = nz ]; then
		[ "$1" -ne 0 ]
	else
		[ "$1" -eq "$2" ]
	fi
}

# jt_cmd TEXT WANT_STATUS WANT_OUT COMMAND [ARG...]: run COMMAND (stdin /dev/null); one point
# that passes when it exits with WANT_STATUS (a number or nz) and its stdout is exactly
# printf %b WANT_OUT. Its stdout and stderr stay in $JT_DIR/out and $JT_DIR/err.
jt_cmd() {
	jt_text=$1 jt_want_st=$2 jt_want_out=$3
	shift 3
	"$@" <"/dev/null" >"$JT_DIR/out" 2>"$JT_DIR/err"
	jt_st=$?
	printf '%b' "$jt_want_out" >"$JT_DIR/want"
	if jt_status_is "$jt_st" "$jt_want_st" && cmp -s "$JT_DIR/out" "$JT_DIR/want"; then
		jt_ok 0 "$jt_text"
		return 0
	fi
	jt_ok 1 "$jt_text"
	echo "#   command: $*"
	echo "#   exit status $jt_st, want $jt_want_st; stdout:"
	jt_show "$JT_DIR/out"
	echo "#   want:"
	jt_show "$JT_DIR/want"
	echo "#   stderr:"
	jt_show "$JT_DIR/err"
	return 1
}

# jt_sh TEXT WANT_STATUS WANT_OUT SCRIPT: jt_cmd on `sh -c SCRIPT`.
jt_sh() {
	jt_cmd "$1" "$2" "$3" sh -c "$4"
}

# jt_err_empty TEXT: a point that passes when the last command wrote nothing to stderr.
jt_err_empty() {
	if [ -s "$JT_DIR/err" ]; then
		jt_ok 1 "$1"
		jt_show "$JT_DIR/err"
		return 1
	fi
	jt_ok 0 "$1"
}

jt_mark() {
	jt_marked=$jt_failed
}

# jt_behaviour ID TEXT: PASS when no point failed since the last jt_mark.
jt_behaviour() {
	if [ "$jt_failed" -eq "$jt_marked" ]; then
		echo "JANUS $1 PASS $2"
	else
		echo "JANUS $1 FAIL $2"
	fi
}

jt_done() {
	echo "1..$jt_points"
	[ "$jt_failed" -eq 0 ]
	exit $?
}
