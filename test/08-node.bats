#!/usr/bin/env bats
# steps: 08-
# The kit's /resolve and Node's dns.resolve4 (c-ares, with setServers pointed
# at the same tools/slowdns) asked the same questions: the same answers, address
# sets compared sorted, the kit's errors mapped to Node's codes. Each test
# prints its comparison table; "differs" rows fail it.

load helpers
load dns-helpers

setup() {
	needs node nodejs
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

@test "node: names that are not hostnames: an empty label, a label of 64 bytes" {
	names
	compare bad..name "$(printf 'a%.0s' $(seq 64)).test"
}

@test "node: three kinds of garbage are a bad response" {
	names --fault garbage
	compare one.test one.test one.test
}

@test "node: where the kit differs on purpose: a CNAME loop is a bad response, c-ares answers []" {
	start_dns --answer loop1.test=@loop2.test --answer loop2.test=@loop1.test
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
	resolve_all loop1.test
	[ "$output" = "error: resolve loop1.test: bad response" ]
	run node "$KIT_ROOT/test/resolve4.js" "$DNS_PORT" 500 2 loop1.test
	[ "$output" = "loop1.test ok" ]
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

@test "node: nobody on the server's port" {
	names
	kill_started            # slowdns and the server: the DNS port is free again
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
	compare one.test
}
