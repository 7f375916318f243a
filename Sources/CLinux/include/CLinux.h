// Linux system calls that Swift's Glibc module does not export.
// No _GNU_SOURCE here: it would change glibc's type definitions and clash with SwiftGlibc.
#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: the new descriptor is never briefly blocking or inheritable.
int clinux_accept(int fd, struct sockaddr_storage *address, socklen_t *length);

/// Atomic on memory other processes map too (a MAP_SHARED file): Swift's atomics cannot point there.
static inline void clinux_shared_add(uint64_t *counter, uint64_t amount) {
    __atomic_fetch_add(counter, amount, __ATOMIC_SEQ_CST);
}

static inline uint64_t clinux_shared_load(const uint64_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_SEQ_CST);
}

#endif
