// Node-style system errors for the CAN socket addon: `code`, `errno` (negative, as libuv and
// Node's own fs/net errors), `syscall`, `interface`.
#pragma once

#include <napi.h>

#include <string>

namespace cansock {

// Builds an Error like Node's uvException: "socket EAFNOSUPPORT vcan0: Address family not
// supported by protocol", with code/errno/syscall properties and `subject` under `subject_key`
// (the interface name of a CAN socket, the address of a UDP socket). `err` is a positive errno.
Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& subject,
                     const char* subject_key = "interface");

// An Error with a stable `code` for misuse from JS (wrong argument type, socket closed).
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);
Napi::TypeError CodedTypeError(Napi::Env env, const char* code, const std::string& message);

// The errno name ("EAGAIN") of a positive errno value, from libuv's table.
const char* ErrnoName(int err);

}  // namespace cansock
