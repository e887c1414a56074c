#!/usr/bin/env bats
# steps: 08-
# --trace-events FILE (TRACE.md), what step 08 adds: /resolve queries with their retries and the TCP fallback; /lookup jobs.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "/resolve: each query an async span from send to answer, its retries instants on it" {
	trace_dns_server --answer one.test=10.0.0.1
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "resolve one.test 10.0.0.1" ]
	end_run
	run trace_check --count dns:b:"resolve one.test" 1 --count dns:e:"resolve one.test" 1 \
		--count dns:n: 0
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"dns".*"args":{"answer":"ok"}' "$TRACE"
	grep -q '"ph":"b","cat":"dns","name":"resolve one.test".*"args":{"cmd":"/resolve one.test"}' "$TRACE"
}

@test "/resolve to a server that drops every query: each retry on the span, then the timeout" {
	trace_dns_server --fault drop
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT" \
		--dns-timeout 100 --dns-tries 3
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "error: resolve one.test: timeout" ]
	end_run
	run trace_check --count dns:b:"resolve one.test" 1 --count dns:n:"try " 2 \
		--count dns:e:"resolve one.test" 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"dns".*"args":{"answer":"timeout"}' "$TRACE"
}

@test "/lookup: a pool job named for the host; a name a client sent is escaped" {
	start_server --trace-events "$TRACE"
	printf '/lookup a"b\\c\x01\xff.invalid\n' | "$CLIENT" -p "$PORT" -t 10000 >/dev/null
	end_run
	run trace_check --count pool:X:'lookup a"b\c' 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qF '"name":"lookup a\"b\\c\u0001?.invalid"' "$TRACE"
	grep -qF '"cmd":"/lookup a\"b\\c\u0001?.invalid"' "$TRACE"
}

@test "/resolve of an answer too big for UDP: the span shows the try over TCP" {
	trace_dns_server --answer many.test='10.1.0.1*40'
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve many.test"
	[[ $output == "resolve many.test 10.1.0.1 "* ]]
	end_run
	run trace_check --count dns:b:"resolve many.test" 1 --count dns:n:"try 1 over TCP" 1 \
		--count dns:e:"resolve many.test" 1 --has io:X:"io fd"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"io fd [0-9]* (dns tcp)"' "$TRACE"
}
