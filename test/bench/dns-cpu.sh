#!/bin/bash
# CPU time per DNS query at a fixed offered rate (not a test; not part of `npm run bench:*`).
# Starts `triad run --dns-workers 1` on the dns-instr/dns-bench zone (10,000 names, ≈5 %
# NXDOMAIN), warms it with dnsperf for 3 s, then offers RATE queries/s for SECONDS with
# `dnsperf -c 8` and divides the DNS worker's utime+stime (/proc/PID/stat) by the queries
# answered. MODE dgram sets TRIAD_DNS_UDP=dgram (Node's sockets), batched leaves the default.
#
#   test/bench/dns-cpu.sh batched|dgram [RATE=20000] [SECONDS=10]
set -e
MODE=$1; RATE=${2:-20000}; SECS=${3:-10}
TREE=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/triad-cpu.XXXX)
TP=
# Stops the Triad this script started (by its PID) and removes the directory, also on failure.
trap '[ -n "$TP" ] && kill -TERM $TP 2>/dev/null && wait $TP 2>/dev/null; rm -rf "$D"' EXIT
PORT=$((20000 + RANDOM % 20000))
node -e '
const Z="bench.test"; const l=["$TTL 3600",`@ IN SOA ns.${Z}. hostmaster.${Z}. ( 1 3600 900 604800 300 )`,"  IN NS ns","ns IN A 10.0.0.1"];
for(let i=0;i<10000;i++) l.push(`h${i} IN A 10.${(i>>16)&255}.${(i>>8)&255}.${i&255}`);
require("fs").writeFileSync(process.argv[1]+"/bench.test.zone", l.join("\n")+"\n");
let x=12345,q=[];const r=(m)=>{x=(x*1103515245+12345)&0x7fffffff;return x%m};
for(let i=0;i<100000;i++) q.push(r(100)<5?`nx${r(1000000)}.${Z} A`:`h${r(10000)}.${Z} A`);
require("fs").writeFileSync(process.argv[1]+"/queries", q.join("\n")+"\n");' "$D"
cat > $D/triad.conf <<C
options { directory "$D"; listen-on port $PORT { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; pid-file none; session-keyfile none; };
zone "bench.test" { type primary; file "bench.test.zone"; };
C
[ "$MODE" = dgram ] && export TRIAD_DNS_UDP=dgram || unset TRIAD_DNS_UDP
TRIAD_LOG_LEVEL=info node $TREE/bin/triad run --dns-workers 1 --conf-dir $D --data-dir $D/data --named-conf $D/triad.conf > $D/log 2>&1 &
TP=$!
up=
for i in $(seq 1 120); do [ "$(dig +short -p $PORT @127.0.0.1 h1.bench.test 2>/dev/null)" = "10.0.0.1" ] && up=1 && break; sleep 0.5; done
[ -n "$up" ] || { echo "Triad did not answer:"; cat $D/log; exit 1; }
W=$(cat /proc/$TP/task/*/children | tr ' ' '\n' | grep . | head -1)
dnsperf -s 127.0.0.1 -p $PORT -d $D/queries -Q $RATE -l 3 -c 8 > /dev/null 2>&1
ticks() { awk '{print $14+$15, $14, $15}' /proc/$W/stat; }
B=$(ticks)
dnsperf -s 127.0.0.1 -p $PORT -d $D/queries -Q $RATE -l $SECS -c 8 > $D/perf 2>&1
A=$(ticks)
Q=$(awk '/Queries completed:/{print $3}' $D/perf)
LOST=$(awk '/Queries lost:/{print $3}' $D/perf)
HZ=$(getconf CLK_TCK)
read bt bu bs <<<"$B"; read at au as <<<"$A"
echo "$MODE rate=$RATE completed=$Q lost=$LOST cpu_ticks=$((at-bt)) (user $((au-bu)) sys $((as-bs))) us_per_query=$(awk -v t=$((at-bt)) -v q=$Q -v hz=$HZ 'BEGIN{printf "%.2f", t*1e6/hz/q}') user_us=$(awk -v t=$((au-bu)) -v q=$Q -v hz=$HZ 'BEGIN{printf "%.2f", t*1e6/hz/q}') sys_us=$(awk -v t=$((as-bs)) -v q=$Q -v hz=$HZ 'BEGIN{printf "%.2f", t*1e6/hz/q}') log: $(grep -o 'dns: UDP[^"]*' $D/log | head -1)"
