/*
 * test/unit/churn.c — connect, one echo, close; again and again.
 *
 * A server that leaks one fd or a few bytes per connection looks fine for a
 * while; tens of thousands of short connections show it. Every other close is a
 * reset (SO_LINGER 0), which also keeps this side's TIME_WAIT sockets down.
 *
 * Usage: churn PORT COUNT     Prints: cycles=N failures=F
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int cycle(const struct sockaddr_in *sa, int reset)
{
	char buf[8];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
		goto fail;
	if (write(fd, "churn\n", 6) != 6)
		goto fail;
	size_t got = 0;
	while (got < 6) {
		ssize_t n = read(fd, buf + got, 6 - got);
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	if (memcmp(buf, "churn\n", 6) != 0)
		goto fail;
	if (reset) {
		struct linger lin = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
	}
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: churn PORT COUNT\n");
		return 2;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	long count = atol(argv[2]), failures = 0;
	for (long i = 0; i < count; i++)
		failures += cycle(&sa, (int)(i & 1)) != 0;
	printf("cycles=%ld failures=%ld\n", count, failures);
	return failures != 0;
}
