#!/usr/bin/env bats
# steps: 08-
# The kit's /resolve and Node's dns.resolve4 (c-ares, with setServers pointed
# at the same tools/slowdns) asked the same questions: the same answers, address
# sets compared sorted, the kit's errors mapped to Node's codes. Each test
# prints its comparison table; "differs" rows fail it.

load helpers
load dns-helpers

setup() {
	command -v node >/dev/null || skip "node is not installed: nothing to compare with"
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

# compare NAME... — asks the kit and Node; prints a table; fails on a difference.
compare() {
	resolve_all "$@" >/dev/null
	local kit=("${lines[@]}")
	run node "$KIT_ROOT/test/resolve4.js" "$DNS_PORT" 500 2 "$@"
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

names() {
	start_dns --answer one.test=10.0.0.1 --answer two.test=10.0.0.2 --answer two.test=10.0.0.3 \
		--answer alias.test=@chain.test --answer chain.test=@one.test \
		--answer dangling.test=@nowhere.test --answer many.test='10.1.0.1*40' \
		--answer big.test='10.2.0.1*150' --answer 10.0.0.9=10.0.0.9 "$@"
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
}

@test "node: names, several addresses, CNAMEs, NXDOMAIN, CNAME-only, TCP fallback, 150 addresses" {
	names
	local args=() i
	compare one.test two.test alias.test ONE.test. nope.test dangling.test many.test \
		big.test 10.0.0.9
}

@test "node: a CNAME chain of 12" {
	local args=() i
	for i in $(seq 1 12); do
		args+=(--answer "c$i.test=@c$((i + 1)).test")
	done
	start_dns "${args[@]}" --answer c13.test=10.3.0.13
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
	compare c1.test c7.test
}

@test "node: SERVFAIL, REFUSED, FORMERR, NOTIMP" {
	local fault
	for fault in servfail refused formerr notimp; do
		names --fault "$fault"
		compare one.test
		kill_started
	done
}

@test "node: UDP faults: a wrong id and a server that drops every query time out" {
	local fault
	for fault in wrong-id drop; do
		names --fault "$fault"
		compare one.test
		kill_started
	done
}

@test "node: TCP faults: refused, cut in the prefix, short, 1-byte segments, wrong id" {
	local fault
	for fault in tcp-refuse tcp-cut tcp-short tcp-wrong-id; do
		names --fault "$fault"
		compare many.test
		kill_started
	done
	names --fault truncate --fault tcp-bytes
	compare one.test two.test
}
