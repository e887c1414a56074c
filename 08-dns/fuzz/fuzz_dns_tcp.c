/*
 * fuzz_dns_tcp.c - a libFuzzer harness for DNS over TCP, as dns_tcp.c reads
 * it: each input is a whole stream from a server, 2-byte lengths and
 * messages, handed over in pieces whose size the input's last byte decides,
 * as recv() might. Every message is parsed as a TCP reply; the framing must
 * never ask for more than a message can be, nor lose a byte.
 *
 * The id expected is the first message's, so that mutations reach the
 * parser. A stream of many small messages and one of a 64 KiB maze are
 * equally the parser's to survive quickly.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "fuzz_dns_tcp.c needs Linux"
#endif

#include "../dns_wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned char stream_buf[DNS_TCP_MAX];
static uint16_t expected_id;
static bool have_id;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const unsigned char *msg, size_t len)
{
	size_t max = dns_max_addrs(len), count = 99;
	struct in_addr *addrs = malloc((max + 1) * sizeof *addrs);
	if (addrs == NULL)
		abort();
	if (!have_id && len >= 2) {
		expected_id = (uint16_t)(msg[0] << 8 | msg[1]);
		have_id = true;
	}
	enum dns_status s = dns_parse_reply(msg, len, true, expected_id, "example.test",
					    addrs, max, &count);
	if (count > max || (s != DNS_OK && count != 0) || s == DNS_TRUNCATED)
		abort();
	free(addrs);
}

/*
 * Reads DATA as a TCP stream, as dns_tcp.c does: never more than
 * dns_tcp_want() asks for, in pieces of at most STEP bytes. Each message is
 * parsed; each must be exactly as long as its prefix said.
 */
static void check_stream(const uint8_t *data, size_t size)
{
	size_t step = size > 0 ? data[size - 1] % 7 + 1 : 1, have = 0;
	for (size_t pos = 0; pos < size;) {
		size_t want = dns_tcp_want(stream_buf, have);
		if (want < DNS_TCP_PREFIX || want > DNS_TCP_MAX || have > want)
			abort();
		size_t n = want - have < step ? want - have : step;
		if (n > size - pos)
			n = size - pos;
		memcpy(stream_buf + have, data + pos, n);
		have += n;
		pos += n;
		if (have >= DNS_TCP_PREFIX && have == dns_tcp_want(stream_buf, have)) {
			size_t len = have - DNS_TCP_PREFIX;
			if (len != (size_t)(stream_buf[0] << 8 | stream_buf[1]))
				abort();
			parse(stream_buf + DNS_TCP_PREFIX, len);
			have = 0;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	have_id = false;
	check_stream(data, size);
	return 0;
}
