#include "socket_options.h"

#include <errno.h>
#include <linux/filter.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "sys_error.h"

namespace cansock {

namespace {

// setsockopt(2)'s failure: the option and fd in the message, the fd as `fd`.
Napi::Error OptionError(Napi::Env env, int err, const char* option, int fd) {
  return SysError(env, err, "setsockopt", std::string(option) + " fd " + std::to_string(fd), "fd",
                  fd);
}

}  // namespace

Napi::Value AttachSocketFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "attachSocketFilter(fd: number, program: Uint8Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  size_t size = bytes.ByteLength();
  // linux/filter.h BPF_MAXINSNS: the kernel refuses longer classic programs.
  if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
      size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    CodedError(env, "ERR_INVALID_ARG_VALUE",
               "program must be 1.." + std::to_string(BPF_MAXINSNS) + " sock_filter records")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Copied so the records are aligned whatever the Uint8Array's offset.
  std::vector<struct sock_filter> program(size / sizeof(struct sock_filter));
  std::memcpy(program.data(), bytes.Data(), size);
  struct sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = program.data();
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    OptionError(env, errno, "SO_ATTACH_FILTER", fd).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value ForceReceiveBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "forceReceiveBuffer(fd: number, bytes: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  double bytes = info[1].As<Napi::Number>().DoubleValue();
  if (!(bytes > 0 && bytes <= 0x7fffffff)) {
    CodedError(env, "ERR_INVALID_ARG_VALUE", "bytes must be 1..2^31-1")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int value = static_cast<int>(bytes);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof value) != 0) {
    OptionError(env, errno, "SO_RCVBUFFORCE", fd).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace cansock
