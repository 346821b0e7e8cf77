#!/bin/sh
# covers: FS-034 (the runner's e2fsck of the disk after the script: user_script.checks)
# user_script: issue 8's acceptance script. One busybox `sh -c` script with a pipeline, a
# redirection into a file, $?, a subshell, a here-document, find, sort, sed, grep, tar and
# md5sum; its stdout must be byte-identical to the fixed text below (and its stderr empty) on
# both ports and on Linux (qemu-user). Nothing in it depends on the platform: listings are
# sorted (file systems order directories differently), and tar's archive itself is never
# printed or summed (it holds modification times). The md5 sums were computed on the host
# with GNU coreutils, independently of busybox.
# covers: no BEHAVIOURS.md ID (the issue's workload; USER-009, USER-010 and USER-013 have
# their own tests in user_shell)
. /bin/jtest_lib

SCRIPT='
set -e
mkdir /tmp/work && cd /tmp/work
printf "%s\n" pear apple fig banana cherry apple > fruit
sort fruit | uniq | sed "s/^/- /" > sorted
cat sorted
grep -c a fruit
grep -q kiwi fruit || echo "grep kiwi: status $?"
grep -n "^[bc]" fruit
( cd /test && pwd && exit 3 ) || echo "subshell: status $?"
pwd
cat > notes <<EOF
alpha
beta $((6 * 7))
gamma $(echo sub | sed s/sub/substituted/)
EOF
cat notes
mkdir -p tree/a/b tree/c
cp fruit tree/a/
cp notes tree/a/b/
echo deep > tree/c/deep.txt
: > tree/empty
find tree | sort
find tree -type f -name "*.txt"
find tree -type d | sort | sed -n "\$="
tar -cf /tmp/tree.tar tree
tar -tf /tmp/tree.tar | sort
mkdir out && cd out && tar -xf /tmp/tree.tar && cd ..
find out -type f | sort
md5sum fruit notes
md5sum /lines.txt /hello.txt /empty.txt
cd out && find tree -type f | sort | xargs md5sum && cd ..
cat out/tree/a/b/notes | md5sum
sed -n "2,4p" /lines.txt | sed "s/Line/L/" | sort -r
echo "done: $?"
'

jt_cmd "the script exits 0 with exactly the expected output" 0 \
'- apple
- banana
- cherry
- fig
- pear
4
grep kiwi: status 1
4:banana
5:cherry
/test
subshell: status 3
/tmp/work
alpha
beta 42
gamma substituted
tree
tree/a
tree/a/b
tree/a/b/notes
tree/a/fruit
tree/c
tree/c/deep.txt
tree/empty
tree/c/deep.txt
4
tree/
tree/a/
tree/a/b/
tree/a/b/notes
tree/a/fruit
tree/c/
tree/c/deep.txt
tree/empty
out/tree/a/b/notes
out/tree/a/fruit
out/tree/c/deep.txt
out/tree/empty
71bc8661a753b47086b883883497dc72  fruit
14c302c4926e76a907351c1dba1b5115  notes
cb7babcbc662a1238b48d176a202f2e1  /lines.txt
7989fd284e645d8194ceffdf37468078  /hello.txt
d41d8cd98f00b204e9800998ecf8427e  /empty.txt
14c302c4926e76a907351c1dba1b5115  tree/a/b/notes
71bc8661a753b47086b883883497dc72  tree/a/fruit
1b385affd7adb5a6283fef292b5df0f7  tree/c/deep.txt
d41d8cd98f00b204e9800998ecf8427e  tree/empty
14c302c4926e76a907351c1dba1b5115  -
L 4
L 3
L 2
done: 0
' sh -c "$SCRIPT"
jt_err_empty "the script writes nothing to stderr"

jt_done
