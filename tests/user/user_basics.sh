#!/bin/sh
# user_basics: `sh -c` basics, true, false, exit and echo (busybox sh and its applets).
# covers: USER-001
. /bin/jtest_lib

jt_mark
jt_sh "sh -c 'echo hello' prints hello" 0 'hello\n' 'echo hello'
jt_sh "sh -c true exits 0 silently" 0 '' 'true'
jt_err_empty "true writes nothing to stderr"
jt_sh "sh -c 'true a b c' ignores the arguments" 0 '' 'true a b c'
jt_cmd "/bin/true x y exits 0 silently" 0 '' /bin/true x y
jt_err_empty "/bin/true writes nothing to stderr"
jt_sh "sh -c false exits 1 silently" 1 '' 'false'
jt_err_empty "false writes nothing to stderr"
jt_sh "sh -c 'false a b c' exits 1" 1 '' 'false a b c'
jt_cmd "/bin/false x y exits 1 silently" 1 '' /bin/false x y
jt_err_empty "/bin/false writes nothing to stderr"
jt_sh "sh -c 'exit 7' exits 7" 7 '' 'exit 7'
jt_sh "sh -c echo prints one newline" 0 '\n' 'echo'
jt_cmd "/bin/echo prints one newline" 0 '\n' /bin/echo
jt_sh "sh -c 'echo hello world test'" 0 'hello world test\n' 'echo hello world test'
jt_cmd "/bin/echo hello world test" 0 'hello world test\n' /bin/echo hello world test
jt_behaviour USER-001 "sh -c echo/true/false/exit: exact output and status"

jt_done
