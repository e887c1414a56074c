#!/usr/bin/env bats
# steps: 08-
# A real DNS server: dnsmasq on 127.0.0.1 (no system service, its own port, no
# upstream, no /etc/hosts) with names, a CNAME, a wildcard, a name with only an
# IPv6 address, and a name with 40 addresses whose UDP reply is truncated. The
# kit's /resolve asks it, and so does Node's dns.resolve4 where node is here.

load helpers
load dns-helpers

DNSMASQ=$(command -v dnsmasq || true)

# free_port — a port free for UDP and TCP on 127.0.0.1 now (dnsmasq cannot be
# given port 0: that turns its DNS off): the one tools/slowdns, which listens on
# both, is given for port 0, freed again.
free_port() {
	local fifo=$BATS_TEST_TMPDIR/free-port.out line pid
	rm -f "$fifo"
	mkfifo "$fifo"
	"$SLOWDNS" -p 0 >"$fifo" 2>/dev/null 3>&- &
	pid=$!
	read -r -t 10 line <"$fifo"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[[ $line =~ :([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}"
}

# start_dnsmasq — dnsmasq in the foreground, logging to $BATS_TEST_TMPDIR/dnsmasq.err;
# sets DNS_PORT once it has read its hosts file.
start_dnsmasq() {
	needs dnsmasq dnsmasq-base
	local hosts=$BATS_TEST_TMPDIR/hosts40 i log=$BATS_TEST_TMPDIR/dnsmasq.err
	for i in $(seq 1 40); do
		echo "10.1.0.$i many.test"
	done >"$hosts"
	DNS_PORT=$(free_port) || return 1
	"$DNSMASQ" --keep-in-foreground --log-facility=- --conf-file=/dev/null \
		--port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --user="$(id -un)" --local=/test/ \
		--host-record=one.test,10.0.0.1 --host-record=two.test,10.0.0.2 \
		--host-record=v6.test,::1 --address=/wild.test/10.5.5.5 \
		--cname=alias.test,one.test --addn-hosts="$hosts" \
		>/dev/null 2>"$log" 3>&- &
	BG_PIDS+=($!)
	wait_for 10 "grep -q 'read $hosts - 40' '$log' || ! kill -0 $!"
	cat "$log"
	kill -0 "$!" || skip "dnsmasq would not start here: $(tail -1 "$log")"
}

@test "dnsmasq: its UDP answer for 40 addresses is truncated, its TCP one whole (dig)" {
	needs dig dnsutils
	start_dnsmasq
	run dig +noedns +notcp +ignore +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" many.test A
	echo "$output"
	[[ $output == *"flags: qr aa tc rd ra;"* ]]
	run dig +noedns +tcp +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" many.test A
	[ "$(wc -l <<<"$output")" -eq 40 ]
}

@test "dnsmasq: /resolve answers names, a CNAME, a wildcard, NODATA, NXDOMAIN, REFUSED, 40 addresses over TCP" {
	start_dnsmasq
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 1000 --dns-tries 2
	resolve_all one.test alias.test a.b.wild.test v6.test nope.test outside.example many.test
	[ "${lines[0]}" = "resolve one.test 10.0.0.1" ]
	[ "${lines[1]}" = "resolve alias.test 10.0.0.1" ]
	[ "${lines[2]}" = "resolve a.b.wild.test 10.5.5.5" ]
	[ "${lines[3]}" = "error: resolve v6.test: no A records" ]
	[ "${lines[4]}" = "error: resolve nope.test: NXDOMAIN" ]
	[ "${lines[5]}" = "error: resolve outside.example: REFUSED" ]
	[ "$(tr ' ' '\n' <<<"${lines[6]#resolve many.test }" | sort -t. -k4,4n | tr '\n' ' ')" = \
		"$(addrs_from 10.1.0.1 40) " ]
}

@test "dnsmasq: /resolve and Node's dns.resolve4 give the same answers" {
	needs node nodejs
	start_dnsmasq
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 1000 --dns-tries 2
	COMPARE_TIMEOUT=1000 compare one.test alias.test a.b.wild.test v6.test nope.test \
		outside.example many.test
}
