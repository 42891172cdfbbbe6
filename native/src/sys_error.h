// Node-style system errors for the CAN socket addon: `code`, `errno` (negative, as libuv and
// Node's own fs/net errors), `syscall`, `interface`.
#pragma once

#include <napi.h>

#include <string>

namespace cansock {

// The addon's one builder of system errors, like Node's uvException: "socket EAFNOSUPPORT vcan0:
// address family not supported", with code/errno/syscall properties and `subject` under
// `subject_key` (the interface name of a CAN socket, the address of a UDP or notify socket).
// `err` is a positive errno.
Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& subject,
                     const char* subject_key = "interface");

// The same with a number under `subject_key` (the fd of a setsockopt), `subject` only in the
// message ("setsockopt EPERM SO_RCVBUFFORCE fd 12: operation not permitted").
Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& subject,
                     const char* subject_key, double subject_value);

// An Error with a stable `code` for misuse from JS (wrong argument type, socket closed).
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);
Napi::TypeError CodedTypeError(Napi::Env env, const char* code, const std::string& message);

// The errno name ("EAGAIN") of a positive errno value, from libuv's table.
const char* ErrnoName(int err);

}  // namespace cansock
