#!/bin/sh
# user_shell: busybox sh pipelines, redirections and here-documents, and scripts run through
# execve (the kernel's "#!"), with variables, control flow, functions, substitutions and the
# exit statuses 127 and 126.
# covers: USER-009 USER-010 USER-013
. /bin/jtest_lib

jt_mark
jt_sh "echo hello|cat" 0 'hello\n' 'echo hello|cat'
jt_sh "cat /lines.txt|head -n 3|tail -n 1" 0 'Line 3\n' 'cat /lines.txt|head -n 3|tail -n 1'
jt_sh "echo a|cat|wc -c" 0 '2\n' 'echo a|cat|wc -c'
jt_sh "an 8-stage pipeline: cat|cat|cat|cat|cat|cat|cat|wc -l" 0 '15\n' \
	'cat /lines.txt|cat|cat|cat|cat|cat|cat|wc -l'
jt_sh "extra whitespace around the commands" 0 'hello\n' '   echo   hello   |    cat   '
jt_sh "a leading | is a syntax error (exit 2)" 2 '' '| cat'
jt_behaviour USER-009 "pipelines connect the commands' stdout to stdin"

jt_mark
rm -f /tmp/f
jt_sh "echo hi >/tmp/f writes nothing to stdout" 0 '' 'echo hi >/tmp/f'
jt_cmd "cat /tmp/f prints hi" 0 'hi\n' cat /tmp/f
jt_sh "echo there >>/tmp/f appends" 0 '' 'echo there >>/tmp/f'
jt_cmd "cat /tmp/f prints both lines" 0 'hi\nthere\n' cat /tmp/f
jt_sh "> truncates" 0 'new\n' 'echo new >/tmp/f; cat /tmp/f'
jt_sh "wc -c </hello.txt prints 17" 0 '17\n' 'wc -c </hello.txt'
jt_sh "2>/dev/null hides the error" 1 '' 'cat /no/such/file 2>/dev/null'
jt_err_empty "nothing reaches stderr"
jt_sh "2>&1 sends the error into the pipe" 0 "1\n" \
	'cat /no/such/file 2>&1 | grep -c "/no/such/file"'
jt_err_empty "nothing reaches stderr with 2>&1"
jt_sh "a here-document feeds stdin" 0 'line one\nline 2 of 2\n' 'n=2
cat <<EOF
line one
line $n of $((1+1))
EOF'
jt_sh "a quoted here-document is not expanded" 0 'a $n\n' 'n=2
cat <<"EOF"
a $n
EOF'
jt_behaviour USER-010 "redirections: >, >>, <, 2>/dev/null, 2>&1, here-documents"

jt_mark
cat >/tmp/script.sh <<'SCRIPT'
#!/bin/sh
v=world
echo "hello $v"
if [ "$v" = world ]; then echo "if: then"; else echo "if: else"; fi
for i in 1 2 3; do printf '%s ' "for $i"; done
echo
n=0
while [ "$n" -lt 4 ]; do n=$((n + 1)); done
echo "while: $n"
greet() { echo "function: $1 $#"; return 3; }
greet arg1 arg2
echo "function status: $?"
echo "subst: $(echo inner | tr a-z A-Z)"
echo "arith: $((1+2))"
echo "args: $0 $# $*"
false
SCRIPT
chmod 0755 /tmp/script.sh
jt_cmd "a /bin/sh script (mode 0755) runs through execve; its status is its last command's" 1 \
	'hello world\nif: then\nfor 1 for 2 for 3 \nwhile: 4\nfunction: arg1 2\nfunction status: 3\nsubst: INNER\narith: 3\nargs: /tmp/script.sh 2 x y\n' \
	execve_probe /tmp/script.sh x y
printf '#!/bin/sh\necho last\nexit 5\n' >/tmp/five.sh
chmod 0755 /tmp/five.sh
jt_cmd "a script's exit status reaches its parent" 5 'last\n' execve_probe /tmp/five.sh
jt_sh "the shell runs the script by its path" 5 'last\n' '/tmp/five.sh'
jt_sh "an unknown command exits 127" 127 '' 'no_such_command_xyz'
printf '#!/bin/sh\necho should not run\n' >/tmp/noexec.sh
chmod 0644 /tmp/noexec.sh
jt_sh "a file without execute permission exits 126" 126 '' '/tmp/noexec.sh'
jt_cmd "execve of it fails (126 from the probe)" 126 '' execve_probe /tmp/noexec.sh
jt_behaviour USER-013 "scripts run through execve: variables, if, for, while, functions, \$(...), \$((1+2)), 127, 126"

jt_done
