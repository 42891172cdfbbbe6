// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (owned by the deploy engineer;
// src/systemd/notify.ts is its only caller).
#pragma once

#include <napi.h>

namespace cansock {

// sdNotify(address: string, message: string | Uint8Array): number of bytes sent.
// `address` is a filesystem path ("/run/systemd/notify") or an abstract socket ("@name", the `@`
// standing for the leading NUL byte, as sd_notify(3) reads $NOTIFY_SOCKET). Never blocks
// (MSG_DONTWAIT); throws a Node-style Error with code, errno (negative), syscall and address.
Napi::Value SdNotify(const Napi::CallbackInfo& info);

}  // namespace cansock
