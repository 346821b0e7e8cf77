#!/bin/sh
# user_files: ls, which, and the file utilities mkdir, rmdir, rm, cp, mv and cmp, with
# existence checked by access() (/bin/access_probe).
# covers: USER-006 USER-007 USER-008
. /bin/jtest_lib

jt_mark
jt_sh "ls -1p / exits 0" 0 '' 'ls -1p / >/dev/null'
jt_sh "ls -1p / lists bin/, deep/, hello.txt, sbin/ and test/" 0 \
	'bin/\ndeep/\nhello.txt\nsbin/\ntest/\n' \
	'ls -1p / | grep -x -e bin/ -e sbin/ -e test/ -e deep/ -e hello.txt'
jt_sh "ls -1p / has no . or .. entry" 0 '' '! ls -1p / | grep -x -e "\./" -e "\.\./"'
jt_sh "ls /bin includes cat, echo, head, ls, tail, wc and which" 0 \
	'cat\necho\nhead\nls\ntail\nwc\nwhich\n' \
	'ls /bin | grep -x -e cat -e ls -e echo -e head -e tail -e wc -e which'
jt_cmd "ls /test shows nested.txt" 0 'nested.txt\n' ls /test
jt_cmd "ls /deep/path/to/file shows data.txt" 0 'data.txt\n' ls /deep/path/to/file
jt_cmd "ls -p /deep shows path/" 0 'path/\n' ls -p /deep
jt_sh "a plain ls lists the current directory" 0 'nested.txt\n' 'cd /test && ls'
jt_cmd "ls of a missing directory fails" nz '' ls /no/such/dir
jt_behaviour USER-006 "ls lists directories, without . and .."

jt_mark
jt_cmd "which ls" 0 '/bin/ls\n' which ls
jt_cmd "which cat" 0 '/bin/cat\n' which cat
jt_cmd "which true" 0 '/bin/true\n' which true
jt_cmd "which /bin/hello prints the path back" 0 '/bin/hello\n' which /bin/hello
jt_cmd "which of an unknown command exits 1" 1 '' which no_such_command_xyz
jt_cmd "which with no argument exits 1" 1 '' which
jt_behaviour USER-007 "which finds commands in PATH"

jt_mark
jt_cmd "mkdir /test_mkdir_argv exits 0" 0 '' mkdir /test_mkdir_argv
jt_cmd "access() finds /test_mkdir_argv" 0 '' access_probe /test_mkdir_argv
jt_cmd "rmdir /test_mkdir_argv exits 0" 0 '' rmdir /test_mkdir_argv
jt_cmd "access() no longer finds it" 1 '' access_probe /test_mkdir_argv
echo "rm me" >/tmp/rm_me
jt_cmd "access() finds /tmp/rm_me" 0 '' access_probe /tmp/rm_me
jt_cmd "rm /tmp/rm_me exits 0" 0 '' rm /tmp/rm_me
jt_cmd "access() no longer finds it" 1 '' access_probe /tmp/rm_me
jt_cmd "rm of a missing file exits 1" 1 '' rm /tmp/rm_me
printf 'source file\nwith two lines\n' >/tmp/src
jt_cmd "cp /tmp/src /tmp/dst exits 0" 0 '' cp /tmp/src /tmp/dst
jt_cmd "both files exist" 0 '' access_probe /tmp/src /tmp/dst
jt_cmd "they have equal contents" 0 '' cmp /tmp/src /tmp/dst
jt_cmd "mv /tmp/dst /tmp/moved exits 0" 0 '' mv /tmp/dst /tmp/moved
jt_cmd "/tmp/moved exists" 0 '' access_probe /tmp/moved
jt_cmd "/tmp/dst is gone" 1 '' access_probe /tmp/dst
jt_cmd "/tmp/moved has the contents" 0 'source file\nwith two lines\n' cat /tmp/moved
head -c 65536 /bin/busybox >/tmp/bin64
jt_cmd "a 64 KiB binary file (busybox's first bytes)" 0 '65536\n' sh -c 'wc -c </tmp/bin64'
jt_cmd "cp of the binary exits 0" 0 '' cp /tmp/bin64 /tmp/bin64.copy
jt_cmd "the copy is byte-exact (cmp)" 0 '' cmp /tmp/bin64 /tmp/bin64.copy
jt_cmd "the copy is 65536 bytes" 0 '65536\n' sh -c 'wc -c </tmp/bin64.copy'
jt_behaviour USER-008 "mkdir, rmdir, rm, cp and mv, checked by access() and cmp"

jt_done
