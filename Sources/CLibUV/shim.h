// Why this shim exists: Swift cannot see libuv's handle sizes as constants nor call its
// function-like macros, and the handle structs are unions Swift imports awkwardly. The
// helpers below are the only C the EventLoop target needs; all are prefixed edgelive_.
#ifndef EDGELIVE_CLIBUV_SHIM_H
#define EDGELIVE_CLIBUV_SHIM_H
#include <uv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#endif
