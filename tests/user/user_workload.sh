#!/bin/sh
# user_workload: workload parity (USER-014). A fixed busybox workload in five parts using grep,
# sed, sort, uniq, tr, cut, find, xargs, dd from /dev/zero (64 KiB), md5sum of /lines.txt,
# date +%s, ps, df, touch, ln -s, readlink and stat; each part's stdout must be byte-identical
# to the text below on both ports and on Linux. What legitimately differs between runs (the
# clock, the process list, the file systems' block counts) is checked for sanity inside the
# last part, which prints only the verdicts ("date: sane"); the values go to a file shown as
# diagnostics afterwards. df runs without an argument: under the Linux reference the root is
# a chroot directory, not a mount point, so `df /` finds no mount there. The umask and TZ are
# set so modes and times do not depend on the caller. The md5 sums were computed on the host
# with GNU coreutils.
# covers: USER-014
. /bin/jtest_lib

# Every part runs in /tmp/wl with the same umask and TZ; each is one point, its stdout
# compared byte for byte, with nothing on stderr.
PRE='set -e; umask 022; export TZ=UTC; cd /tmp/wl
'
part() {
	jt_cmd "$1" 0 "$2" sh -c "$PRE$3"
	jt_err_empty "$1: nothing on stderr"
}

jt_mark
mkdir -p /tmp/wl
part "text tools: grep, cut, sort, uniq, sed, tr" \
'3
      2 beta
      1 delta
      1 gamma
blue
green
red
beta 1 green
gamma 2 blue
alpha 3 red
delta 4 green
alpha 5 red
alpha 3 RED
beta 1 green
alpha 5 RED
delta 4 green
beta 1 green
ALPHA 3 RED
BETA 1 GREEN
LInE
LInE
LInE
' '
printf "%s\n" "alpha 3 red" "beta 1 green" "gamma 2 blue" "alpha 5 red" "delta 4 green" \
	"beta 1 green" > data
grep -c green data
grep -v red data | cut -d" " -f1 | sort | uniq -c
cut -d" " -f3 data | sort | uniq
sort -k2,2n -k1,1 data | uniq
sed -e "s/red/RED/" -e "/blue/d" data
tr a-z A-Z < data | head -n 2
sed -n "10,12p" /lines.txt | tr -d "0-9 " | tr -s "ei" "EI"
'

part "dd of 64 KiB from /dev/zero, md5sum" \
'2
65536
fcd6bcb56c1689fcef28b57c22475bad  zero.bin
cb7babcbc662a1238b48d176a202f2e1  /lines.txt
' '
dd if=/dev/zero of=zero.bin bs=1k count=64 2>dd.err
grep -c "64+0 records" dd.err
stat -c "%s" zero.bin
md5sum zero.bin /lines.txt
'

part "touch, ln -s, readlink, stat" \
'data
/lines.txt
/tmp/wl/data
data 77 regular file 644
new 0 regular empty file 644
link 4 symbolic link 777
zero.bin 65536 regular file 644
data 1577934245
abs 111 regular file
' '
touch new
touch -d "2020-01-02 03:04:05" data
ln -s data link
ln -s /lines.txt abs
readlink link
readlink abs
readlink -f link
stat -c "%n %s %F %a" data new link zero.bin
stat -c "%n %Y" data
stat -L -c "%n %s %F" abs
'

part "find, xargs" \
'./data
./dd.err
./new
./zero.bin
./abs
./link
./zero.bin
99e0137f1b1af78996cba47a912c06f4  ./data
d41d8cd98f00b204e9800998ecf8427e  ./new
item one
item two
item three
' '
find . -type f | sort
find . -type l | sort
find . -name "*.bin" -size +100
find . -type f -name "[dn][ae]*" | sort | xargs md5sum
printf "one two\nthree\n" | xargs -n 1 echo item
'

# date, ps and df print what differs between runs: only the verdicts are compared, the values
# are diagnostics. df: every file system line has used + available <= size and a sane use%.
part "date +%s, ps and df are sane" \
'date: sane
ps: lists this shell
df: sane
' '
now=$(date +%s)
echo "date +%s: $now" > runinfo
[ "$now" -gt 1600000000 ] && [ "$now" -lt 4000000000 ] && echo "date: sane"
ps -o pid,comm > ps.out
cat ps.out >> runinfo
head -n 1 ps.out | grep -q PID && grep -q "^ *$$ " ps.out && echo "ps: lists this shell"
df -k > df.out
cat df.out >> runinfo
head -n 1 df.out | grep -q "^Filesystem" &&
awk "NR > 1 { n++; if (\$3 + \$4 > \$2 || \$5 !~ /^[0-9]+%\$/) bad++ } END { exit !(n > 0 && !bad) }" \
	df.out && echo "df: sane"
'
[ -f /tmp/wl/runinfo ] && jt_diag "$(cat /tmp/wl/runinfo)"
jt_behaviour USER-014 "a fixed busybox workload prints the expected output"

jt_done
