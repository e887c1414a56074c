# test/dns-helpers.bash — what the 08 DNS suites share: a slowdns on a free
# loopback port, and the kit's server asking it.

# start_dns [SLOWDNS ARGS...] — a slowdns on a free loopback port, with -v
# logging to $BATS_TEST_TMPDIR/dns.err; sets DNS_PORT.
start_dns() {
	local fifo=$BATS_TEST_TMPDIR/dns.out
	rm -f "$fifo"
	mkfifo "$fifo"
	"$SLOWDNS" -p 0 -v "$@" >"$fifo" 2>"$BATS_TEST_TMPDIR/dns.err" 3>&- &
	BG_PIDS+=($!)
	local line
	read -r -t 10 line <"$fifo"
	DNS_PORT=${line##*:}
	[ -n "$DNS_PORT" ]
}

# resolve_all NAME... — one /resolve per NAME through tools/client; the replies
# are in $output and $lines, in order.
resolve_all() {
	local input="" name
	for name in "$@"; do
		input+="/resolve $name"$'\n'
	done
	run "$CLIENT" -p "$PORT" -t 15000 <<<"$input"
	echo "$output"
}

# addrs_from FIRST N — the N addresses from FIRST on, space-separated.
addrs_from() {
	local IFS=. a b c d i out=()
	read -r a b c d <<<"$1"
	local n=$(( (a << 24) + (b << 16) + (c << 8) + d ))
	for (( i = 0; i < $2; i++ )); do
		local v=$(( n + i ))
		out+=("$(( v >> 24 & 255 )).$(( v >> 16 & 255 )).$(( v >> 8 & 255 )).$(( v & 255 ))")
	done
	IFS=' '
	echo "${out[*]}"
}
