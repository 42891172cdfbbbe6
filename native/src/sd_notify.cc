#include "sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "sys_error.h"

namespace cansock {

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !(info[1].IsString() || info[1].IsTypedArray())) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                   "sdNotify(address: string, message: string | Uint8Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string address = info[0].As<Napi::String>().Utf8Value();
  std::string message;
  if (info[1].IsString()) {
    message = info[1].As<Napi::String>().Utf8Value();
  } else {
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    message.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  }

  // sd_notify(3): "/path" is a socket in the file system, "@name" an abstract one (first byte of
  // sun_path NUL, the length excluding any trailing NUL: unix(7) "abstract").
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (address.size() < 2 || (address[0] != '/' && address[0] != '@')) {
    SysError(env, EAFNOSUPPORT, "connect", address, "address").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (address.size() > sizeof addr.sun_path) {
    SysError(env, ENAMETOOLONG, "connect", address, "address").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, address.data(), address.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addr_len =
      static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size());

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    SysError(env, errno, "socket", address, "address").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // A full receive queue at the manager must not stall the event loop: MSG_DONTWAIT, EAGAIN is
  // reported and the caller counts it. MSG_NOSIGNAL as sd_notify does.
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                        reinterpret_cast<struct sockaddr*>(&addr), addr_len);
  int err = errno;
  close(fd);
  if (sent < 0) {
    SysError(env, err, "sendto", address, "address").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

}  // namespace cansock
