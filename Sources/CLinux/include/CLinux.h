// Linux system calls that Swift's Glibc module does not export.
// No _GNU_SOURCE here: it would change glibc's type definitions and clash with SwiftGlibc.
#ifndef CLINUX_H
#define CLINUX_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: the new descriptor is never briefly blocking or inheritable.
int clinux_accept(int fd, struct sockaddr_storage *address, socklen_t *length);

#endif
