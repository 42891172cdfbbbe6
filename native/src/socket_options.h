// Socket options Node's dgram has no API for, on a socket the caller already owns (the file
// descriptor of a Node dgram socket): a classic BPF filter (SO_ATTACH_FILTER; the program is built
// in TypeScript, src/multicast/own-echo-filter.ts) and SO_RCVBUFFORCE. These only make the system
// calls; when to use them is decided in TypeScript.
#pragma once

#include <napi.h>

namespace cansock {

// attachSocketFilter(fd: number, program: Uint8Array): void. `program` holds `struct sock_filter`
// records (linux/filter.h: u16 code, u8 jt, u8 jf, u32 k, host byte order), 8 bytes each.
// Throws a Node-style Error (code, errno, syscall 'setsockopt') when the kernel refuses it.
Napi::Value AttachSocketFilter(const Napi::CallbackInfo& info);

// forceReceiveBuffer(fd: number, bytes: number): void. SO_RCVBUFFORCE (socket(7)): like SO_RCVBUF
// but not capped by net.core.rmem_max; needs CAP_NET_ADMIN, else throws with code EPERM.
Napi::Value ForceReceiveBuffer(const Napi::CallbackInfo& info);

}  // namespace cansock
