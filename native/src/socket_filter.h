// A classic BPF socket filter (SO_ATTACH_FILTER) on a socket the caller already owns, such as the
// file descriptor of a Node dgram socket. The program is built in TypeScript
// (src/multicast/own-echo-filter.ts); this only makes the system call.
#pragma once

#include <napi.h>

namespace cansock {

// attachSocketFilter(fd: number, program: Uint8Array): void. `program` holds `struct sock_filter`
// records (linux/filter.h: u16 code, u8 jt, u8 jf, u32 k, host byte order), 8 bytes each.
// Throws a Node-style Error (code, errno, syscall 'setsockopt') when the kernel refuses it.
Napi::Value AttachSocketFilter(const Napi::CallbackInfo& info);

}  // namespace cansock
