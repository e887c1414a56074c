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

# node_code ERROR — the Node error code a kit error means.
node_code() {
	case $1 in
	NXDOMAIN) echo ENOTFOUND ;;
	SERVFAIL) echo ESERVFAIL ;;
	REFUSED) echo EREFUSED ;;
	FORMERR) echo EFORMERR ;;
	NOTIMP) echo ENOTIMP ;;
	"no A records") echo ENODATA ;;
	timeout) echo ETIMEOUT ;;
	# c-ares reports every failed TCP connection, refused or closed, so
	"connection refused" | "connection closed") echo ECONNREFUSED ;;
	"bad response") echo EBADRESP ;;
	"not a valid hostname") echo EBADNAME ;;
	*) echo "?$1" ;;
	esac
}

# kit_line LINE — a /resolve reply in resolve4.js's form: "NAME ok ADDRS" or "NAME CODE".
kit_line() {
	local line=$1 name rest
	if [[ $line == "error: resolve "* ]]; then
		rest=${line#error: resolve }
		name=${rest%%: *}
		echo "$name $(node_code "${rest#*: }")"
	else
		rest=${line#resolve }
		name=${rest%% *}
		echo "$name ok $(tr ' ' '\n' <<<"${rest#"$name"}" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" | sed 's/ $//'
	fi
}

# compare NAME... — asks the kit and Node (test/resolve4.js, with the timeout
# and tries of the kit's server: $COMPARE_TIMEOUT ms, 2); prints a table, one
# row per name; fails on a difference.
compare() {
	resolve_all "$@" >/dev/null
	local kit=("${lines[@]}")
	run node "$KIT_ROOT/test/resolve4.js" "$DNS_PORT" "${COMPARE_TIMEOUT:-500}" 2 "$@"
	local nodes=("${lines[@]}") i bad=0 k
	[ "${#nodes[@]}" -eq $# ]
	for (( i = 0; i < $#; i++ )); do
		k=$(kit_line "${kit[$i]}")
		if [ "$k" = "${nodes[$i]}" ]; then
			printf 'agrees   %-40.40s | %s\n' "${kit[$i]}" "${nodes[$i]}"
		else
			printf 'DIFFERS  %-40.40s | %s\n' "${kit[$i]}" "${nodes[$i]}"
			bad=1
		fi
	done
	return $bad
}
