/*
 * test/unit/no_openat2.c — an LD_PRELOAD shim that makes openat2 look absent.
 *
 * /cat confines a path with openat2(RESOLVE_BENEATH) where the kernel has it
 * (Linux 5.6+), and on an older kernel falls back to an O_PATH open checked
 * through /proc/self/fd. To test that fallback on a new kernel, this shim
 * answers syscall(SYS_openat2, ...) with ENOSYS, as an old kernel would, and
 * passes every other syscall() on. Each refusal appends a line to the file
 * named by NO_OPENAT2_LOG, if set, so a test can tell the shim was in effect.
 *
 * Build: cc -shared -fPIC -o no_openat2.so no_openat2.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

long syscall(long number, ...)
{
	long a[6];
	va_list ap;
	/* A syscall takes at most six arguments; like glibc's own syscall(),
	 * pass on six whatever the caller gave. */
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (number == SYS_openat2) {
		const char *log = getenv("NO_OPENAT2_LOG");
		if (log != NULL) {
			int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0) {
				(void)!write(fd, "ENOSYS\n", 7);
				close(fd);
			}
		}
		errno = ENOSYS;
		return -1;
	}
	long (*real)(long, ...);
	*(void **)&real = dlsym(RTLD_NEXT, "syscall");  /* as dlsym(3) advises */
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
