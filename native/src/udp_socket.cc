#include "udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "sys_error.h"

// linux/in.h and linux/in6.h; older libc headers lack them (IPV6_MULTICAST_ALL: Linux 4.20).
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

namespace cansock {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "rxMeta is read as little-endian by src/multicast/udp-layout.ts");
static_assert(kUdpMetaAddress + 16 <= kUdpMetaSize, "the address fits the meta record");

// Room for the SO_RXQ_OVFL control message (__u32).
constexpr size_t kCtrlSize = CMSG_SPACE(sizeof(uint32_t)) + 16;

bool IsUint8Array(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

bool IsUint32Array(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
}

// An optional boolean option; false with a pending exception on a wrong type.
bool OptBool(Napi::Env env, Napi::Object obj, const char* key, bool fallback, bool* out) {
  Napi::Value v = obj.Get(key);
  if (env.IsExceptionPending()) return false;
  if (v.IsUndefined()) {
    *out = fallback;
    return true;
  }
  if (!v.IsBoolean()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", std::string("option ") + key + " must be a boolean")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

// An integer argument in [min, max]; false with a pending exception otherwise.
bool IntArg(Napi::Env env, const Napi::Value& v, double min, double max, const char* what,
            double* out) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || d != static_cast<double>(static_cast<int64_t>(d)) || d < min || d > max) {
    CodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                   std::string(what) + " must be an integer in [" +
                       std::to_string(static_cast<int64_t>(min)) + ", " +
                       std::to_string(static_cast<int64_t>(max)) + "]")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = d;
  return true;
}

}  // namespace

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineClass(
      env, "UdpSocket",
      {
          InstanceMethod<&UdpSocket::Bind>("bind"),
          InstanceMethod<&UdpSocket::Connect>("connect"),
          InstanceMethod<&UdpSocket::LocalAddress>("localAddress"),
          InstanceMethod<&UdpSocket::AddMembership>("addMembership"),
          InstanceMethod<&UdpSocket::SetMulticastInterface>("setMulticastInterface"),
          InstanceMethod<&UdpSocket::SetMulticastTTL>("setMulticastTTL"),
          InstanceMethod<&UdpSocket::SetMulticastLoopback>("setMulticastLoopback"),
          InstanceMethod<&UdpSocket::SetRecvBufferSize>("setRecvBufferSize"),
          InstanceMethod<&UdpSocket::GetRecvBufferSize>("getRecvBufferSize"),
          InstanceMethod<&UdpSocket::StartReading>("startReading"),
          InstanceMethod<&UdpSocket::StopReading>("stopReading"),
          InstanceMethod<&UdpSocket::WaitWritable>("waitWritable"),
          InstanceMethod<&UdpSocket::Send>("send"),
          InstanceMethod<&UdpSocket::Close>("close"),
          InstanceAccessor<&UdpSocket::GetFd>("fd"),
          InstanceAccessor<&UdpSocket::GetSendErrno>("sendErrno"),
          InstanceAccessor<&UdpSocket::GetClosed>("closed"),
          InstanceAccessor<&UdpSocket::GetDrops>("drops"),
      });
}

// new UdpSocket(family: 4 | 6, options: { reuseAddr?, reusePort?, rxqOverflow?, batchSize? }).
UdpSocket::UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsObject()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "UdpSocket(family: 4 | 6, options: object)")
        .ThrowAsJavaScriptException();
    return;
  }
  int fam = info[0].As<Napi::Number>().Int32Value();
  if (fam != 4 && fam != 6) {
    CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6")
        .ThrowAsJavaScriptException();
    return;
  }
  family_ = fam == 4 ? AF_INET : AF_INET6;
  label_ = fam == 4 ? "udp4" : "udp6";
  Napi::Object options = info[1].As<Napi::Object>();
  bool reuse_addr, reuse_port, rxq_ovfl, multicast_all;
  double batch = 64;
  if (!OptBool(env, options, "reuseAddr", false, &reuse_addr) ||
      !OptBool(env, options, "reusePort", false, &reuse_port) ||
      !OptBool(env, options, "rxqOverflow", true, &rxq_ovfl) ||
      !OptBool(env, options, "multicastAll", true, &multicast_all)) {
    return;
  }
  Napi::Value batch_value = options.Get("batchSize");
  if (env.IsExceptionPending()) return;
  if (!batch_value.IsUndefined() && !IntArg(env, batch_value, 1, kUdpMaxBatch, "option batchSize", &batch)) {
    return;
  }
  batch_ = static_cast<uint32_t>(batch);

  fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Error(env, errno, "socket").ThrowAsJavaScriptException();
    return;
  }
  // An IPv6 socket is for IPv6 only: the endpoint opens one socket per family it uses.
  if ((family_ == AF_INET6 && !SetInt(env, IPPROTO_IPV6, IPV6_V6ONLY, 1, "setsockopt")) ||
      (reuse_addr && !SetInt(env, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt")) ||
      (reuse_port && !SetInt(env, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt")) ||
      // socket(7) SO_RXQ_OVFL: the socket's cumulative drop count rides on received datagrams.
      (rxq_ovfl && !SetInt(env, SOL_SOCKET, SO_RXQ_OVFL, 1, "setsockopt")) ||
      // ip(7) IP_MULTICAST_ALL / ipv6(7) IPV6_MULTICAST_ALL, on by default: a socket bound to the
      // wildcard gets the datagrams of every group any socket of the host joined on its port.
      // Off, it gets only those of groups it joined itself: none for a unicast socket.
      (!multicast_all && family_ == AF_INET &&
       !SetInt(env, IPPROTO_IP, IP_MULTICAST_ALL, 0, "setsockopt")) ||
      (!multicast_all && family_ == AF_INET6 &&
       !SetInt(env, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "setsockopt"))) {
    CloseFd();
    return;
  }

  Napi::ArrayBuffer rx = Napi::ArrayBuffer::New(env, static_cast<size_t>(batch_) * kUdpSlotSize);
  Napi::ArrayBuffer meta = Napi::ArrayBuffer::New(env, static_cast<size_t>(batch_) * kUdpMetaSize);
  if (env.IsExceptionPending()) {
    CloseFd();
    return;
  }
  rx_ref_ = Napi::Reference<Napi::ArrayBuffer>::New(rx, 1);
  meta_ref_ = Napi::Reference<Napi::ArrayBuffer>::New(meta, 1);
  rx_data_ = static_cast<uint8_t*>(rx.Data());
  meta_data_ = static_cast<uint8_t*>(meta.Data());
  memset(meta_data_, 0, meta.ByteLength());
  rx_msgs_.assign(batch_, mmsghdr{});
  rx_iov_.assign(batch_, iovec{});
  rx_addr_.assign(batch_, sockaddr_storage{});
  rx_ctrl_.assign(batch_ * kCtrlSize, 0);
  for (uint32_t i = 0; i < batch_; i++) {
    rx_iov_[i].iov_base = rx_data_ + static_cast<size_t>(i) * kUdpSlotSize;
    rx_iov_[i].iov_len = kUdpSlotSize;
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    rx_msgs_[i].msg_hdr.msg_name = &rx_addr_[i];
    rx_msgs_[i].msg_hdr.msg_control = rx_ctrl_.data() + i * kCtrlSize;
  }
  tx_msgs_.assign(kUdpMaxBatch, mmsghdr{});
  tx_iov_.assign(kUdpMaxBatch, iovec{});

  Napi::Object self = Value();
  self.Set("family", Napi::Number::New(env, fam));
  self.Set("batchSize", Napi::Number::New(env, batch_));
  self.Set("rxBuffer", rx);
  self.Set("rxMeta", meta);
  async_ = std::make_unique<Napi::AsyncContext>(env, "UdpSocket", Value());
}

UdpSocket::~UdpSocket() { CloseFd(); }

Napi::Error UdpSocket::Error(Napi::Env env, int err, const char* syscall) {
  return SysError(env, err, syscall, label_, "address");
}

bool UdpSocket::CheckOpen(Napi::Env env) {
  if (fd_ >= 0) return true;
  CodedError(env, "ERR_SOCKET_CLOSED", "UDP socket " + label_ + " is closed")
      .ThrowAsJavaScriptException();
  return false;
}

bool UdpSocket::SetInt(Napi::Env env, int level, int name, int value, const char* what) {
  if (setsockopt(fd_, level, name, &value, sizeof(value)) < 0) {
    Error(env, errno, what).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// "ifname", "::%ifname", "%ifname" or a decimal index -> interface index; "" -> 0 (any).
bool UdpSocket::InterfaceIndex(Napi::Env env, const std::string& iface, unsigned int* index,
                               const char* syscall) {
  std::string name = iface;
  size_t at = name.find('%');
  if (at != std::string::npos) name = name.substr(at + 1);
  if (name.empty()) {
    *index = 0;
    return true;
  }
  char* end = nullptr;
  unsigned long n = strtoul(name.c_str(), &end, 10);
  if (end != nullptr && *end == '\0') {
    *index = static_cast<unsigned int>(n);
    return true;
  }
  *index = if_nametoindex(name.c_str());
  if (*index == 0) {
    SysError(env, errno == 0 ? ENODEV : errno, syscall, name).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// A numeric address of this socket's family ("239.1.2.3", "ff15::1", "ff12::1%eth0") and a port.
bool UdpSocket::ParseAddress(Napi::Env env, const Napi::Value& address, const Napi::Value& port,
                             sockaddr_storage* out, socklen_t* len, const char* syscall) {
  double port_d;
  if (!address.IsString()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "address must be a string")
        .ThrowAsJavaScriptException();
    return false;
  }
  if (!IntArg(env, port, 0, 65535, "port", &port_d)) return false;
  std::string text = address.As<Napi::String>().Utf8Value();
  std::string host = text;
  std::string scope;
  size_t at = text.find('%');
  if (at != std::string::npos) {
    host = text.substr(0, at);
    scope = text.substr(at);
  }
  memset(out, 0, sizeof(*out));
  uint16_t nport = htons(static_cast<uint16_t>(port_d));
  if (family_ == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    if (!scope.empty() || inet_pton(AF_INET, host.c_str(), &sin->sin_addr) != 1) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "not an IPv4 address: " + text)
          .ThrowAsJavaScriptException();
      return false;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = nport;
    *len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "not an IPv6 address: " + text)
          .ThrowAsJavaScriptException();
      return false;
    }
    unsigned int index = 0;
    if (!scope.empty() && !InterfaceIndex(env, scope, &index, syscall)) return false;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = nport;
    sin6->sin6_scope_id = index;
    *len = sizeof(sockaddr_in6);
  }
  return true;
}

// bind(address, port): throws a system error (EADDRINUSE, EADDRNOTAVAIL, ...).
Napi::Value UdpSocket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ParseAddress(env, info[0], info[1], &addr, &len, "bind")) return env.Undefined();
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    Error(env, errno, "bind").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// connect(address, port): fixes the destination; for UDP this only routes, nothing is sent.
Napi::Value UdpSocket::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ParseAddress(env, info[0], info[1], &addr, &len, "connect")) return env.Undefined();
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    Error(env, errno, "connect").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// localAddress(): { address, port } from getsockname(2).
Napi::Value UdpSocket::LocalAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    Error(env, errno, "getsockname").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  char text[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    port = ntohs(sin->sin_port);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    port = ntohs(sin6->sin6_port);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("address", Napi::String::New(env, text));
  result.Set("port", Napi::Number::New(env, port));
  return result;
}

// addMembership(group, iface): IPv4 iface is the interface's address ("" = INADDR_ANY, the
// kernel's choice), IPv6 iface an interface name or "::%name" ("" = index 0), as libuv takes them.
Napi::Value UdpSocket::AddMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "addMembership(group: string, iface: string)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string group = info[0].As<Napi::String>().Utf8Value();
  std::string iface = info[1].As<Napi::String>().Utf8Value();
  int r;
  if (family_ == AF_INET) {
    ip_mreq mreq{};
    if (inet_pton(AF_INET, group.c_str(), &mreq.imr_multiaddr) != 1 ||
        (!iface.empty() && inet_pton(AF_INET, iface.c_str(), &mreq.imr_interface) != 1)) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "not an IPv4 group or interface address")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    r = setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
  } else {
    ipv6_mreq mreq{};
    unsigned int index = 0;
    if (inet_pton(AF_INET6, group.c_str(), &mreq.ipv6mr_multiaddr) != 1) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "not an IPv6 group: " + group)
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!InterfaceIndex(env, iface, &index, "addMembership")) return env.Undefined();
    mreq.ipv6mr_interface = index;
    r = setsockopt(fd_, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
  }
  if (r < 0) Error(env, errno, "addMembership").ThrowAsJavaScriptException();
  return env.Undefined();
}

// setMulticastInterface(iface): IP_MULTICAST_IF (an IPv4 address) / IPV6_MULTICAST_IF (a name).
Napi::Value UdpSocket::SetMulticastInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsString()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "setMulticastInterface(iface: string)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string iface = info[0].As<Napi::String>().Utf8Value();
  int r;
  if (family_ == AF_INET) {
    in_addr addr{};
    if (inet_pton(AF_INET, iface.c_str(), &addr) != 1) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE", "not an IPv4 interface address: " + iface)
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    r = setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &addr, sizeof(addr));
  } else {
    unsigned int index = 0;
    if (!InterfaceIndex(env, iface, &index, "setMulticastInterface")) return env.Undefined();
    int value = static_cast<int>(index);
    r = setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &value, sizeof(value));
  }
  if (r < 0) Error(env, errno, "setMulticastInterface").ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value UdpSocket::SetMulticastTTL(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ttl;
  if (!CheckOpen(env) || info.Length() < 1 || !IntArg(env, info[0], 0, 255, "ttl", &ttl)) {
    return env.Undefined();
  }
  if (family_ == AF_INET) {
    SetInt(env, IPPROTO_IP, IP_MULTICAST_TTL, static_cast<int>(ttl), "setMulticastTTL");
  } else {
    SetInt(env, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, static_cast<int>(ttl), "setMulticastTTL");
  }
  return env.Undefined();
}

Napi::Value UdpSocket::SetMulticastLoopback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "setMulticastLoopback(flag: boolean)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int on = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  if (family_ == AF_INET) {
    SetInt(env, IPPROTO_IP, IP_MULTICAST_LOOP, on, "setMulticastLoopback");
  } else {
    SetInt(env, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "setMulticastLoopback");
  }
  return env.Undefined();
}

// setRecvBufferSize(bytes): SO_RCVBUF, which Linux caps at net.core.rmem_max (socket(7)).
Napi::Value UdpSocket::SetRecvBufferSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double bytes;
  if (!CheckOpen(env) || info.Length() < 1 ||
      !IntArg(env, info[0], 1, INT32_MAX / 2, "bytes", &bytes)) {
    return env.Undefined();
  }
  SetInt(env, SOL_SOCKET, SO_RCVBUF, static_cast<int>(bytes), "setsockopt");
  return env.Undefined();
}

// getRecvBufferSize(): SO_RCVBUF as the kernel reports it (twice the usable size on Linux).
Napi::Value UdpSocket::GetRecvBufferSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  int value = 0;
  socklen_t len = sizeof(value);
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &value, &len) < 0) {
    Error(env, errno, "getsockopt").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, value);
}

// startReading(onBatch(count), onError(err)): datagrams arrive in rxBuffer/rxMeta, one call a batch.
Napi::Value UdpSocket::StartReading(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "startReading(onBatch, onError) takes two functions")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  on_error_ = Napi::Persistent(info[1].As<Napi::Function>());
  reading_ = true;
  UpdatePoll(env);
  return env.Undefined();
}

Napi::Value UdpSocket::StopReading(const Napi::CallbackInfo& info) {
  reading_ = false;
  if (fd_ >= 0) UpdatePoll(info.Env());
  return info.Env().Undefined();
}

// waitWritable(onWritable | null): one callback when the socket can take more; null cancels.
Napi::Value UdpSocket::WaitWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() >= 1 && info[0].IsNull()) {
    want_writable_ = false;
  } else if (info.Length() >= 1 && info[0].IsFunction()) {
    on_writable_ = Napi::Persistent(info[0].As<Napi::Function>());
    want_writable_ = true;
  } else {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "waitWritable(fn | null)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  UpdatePoll(env);
  return env.Undefined();
}

// send(data: Uint8Array, lengths: Uint32Array, first, count[, address, port]): datagram i is
// lengths[i] bytes, the datagrams packed back to back in `data` from byte 0 (datagram `first`
// starts after the lengths of those before it). Without an address the socket must be connected.
// sendmmsg(2) in chunks, never blocking. Returns how many of [first, first+count) went out; when
// fewer, sendErrno holds the first failure.
Napi::Value UdpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 4 || !IsUint8Array(info[0]) || !IsUint32Array(info[1])) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                   "send(data: Uint8Array, lengths: Uint32Array, first, count[, address, port])")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  Napi::Uint32Array lengths = info[1].As<Napi::Uint32Array>();
  double first_d, count_d;
  if (!IntArg(env, info[2], 0, static_cast<double>(lengths.ElementLength()), "first", &first_d) ||
      !IntArg(env, info[3], 0, static_cast<double>(lengths.ElementLength()) - first_d, "count",
              &count_d)) {
    return env.Undefined();
  }
  bool has_dest = info.Length() >= 6 && !info[4].IsUndefined() && !info[4].IsNull();
  if (has_dest) {
    std::string text = info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : "";
    uint32_t port = info[5].IsNumber() ? info[5].As<Napi::Number>().Uint32Value() : 0;
    if (dest_len_ == 0 || text != dest_text_ || port != dest_port_) {
      dest_len_ = 0;
      if (!ParseAddress(env, info[4], info[5], &dest_, &dest_len_, "sendmmsg")) {
        dest_len_ = 0;
        return env.Undefined();
      }
      dest_text_ = text;
      dest_port_ = port;
    }
  }
  uint32_t first = static_cast<uint32_t>(first_d);
  uint32_t count = static_cast<uint32_t>(count_d);
  const uint32_t* lens = lengths.Data();
  uint8_t* base = data.Data();
  size_t size = data.ByteLength();
  size_t offset = 0;
  for (uint32_t i = 0; i < first; i++) offset += lens[i];
  uint32_t sent = 0;
  send_errno_ = 0;
  while (sent < count) {
    uint32_t chunk = std::min(count - sent, kUdpMaxBatch);
    size_t at = offset;
    for (uint32_t k = 0; k < chunk; k++) {
      size_t len = lens[first + sent + k];
      if (at + len > size) {
        CodedTypeError(env, "ERR_OUT_OF_RANGE", "datagram lengths exceed the data buffer")
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
      tx_iov_[k].iov_base = base + at;
      tx_iov_[k].iov_len = len;
      tx_msgs_[k].msg_hdr = msghdr{};
      tx_msgs_[k].msg_hdr.msg_iov = &tx_iov_[k];
      tx_msgs_[k].msg_hdr.msg_iovlen = 1;
      if (has_dest) {
        tx_msgs_[k].msg_hdr.msg_name = &dest_;
        tx_msgs_[k].msg_hdr.msg_namelen = dest_len_;
      }
      at += len;
    }
    int r = sendmmsg(fd_, tx_msgs_.data(), chunk, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      send_errno_ = errno;
      break;
    }
    // A short count without an error: the next round reports the failing datagram's errno.
    for (int k = 0; k < r; k++) offset += lens[first + sent + k];
    sent += static_cast<uint32_t>(r);
  }
  return Napi::Number::New(env, sent);
}

Napi::Value UdpSocket::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

Napi::Value UdpSocket::GetSendErrno(const Napi::CallbackInfo& info) {
  // Negative, as Node's `err.errno`.
  return Napi::Number::New(info.Env(), -send_errno_);
}

Napi::Value UdpSocket::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fd_ < 0);
}

// The socket's receive-queue drop count. SO_RXQ_OVFL reports it only with the next datagram that
// arrives, so ask the socket directly as well (SO_MEMINFO, net/core/sock.c sk_get_meminfo()).
Napi::Value UdpSocket::GetDrops(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    uint32_t meminfo[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof(meminfo);
    if (getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo, &len) == 0 &&
        len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t) && meminfo[SK_MEMINFO_DROPS] > drops_) {
      drops_ = meminfo[SK_MEMINFO_DROPS];
    }
  }
  return Napi::Number::New(info.Env(), drops_);
}

// close(): idempotent; the poll handle is freed in its close callback.
Napi::Value UdpSocket::Close(const Napi::CallbackInfo& info) {
  CloseFd();
  if (refed_) {
    Unref();
    refed_ = false;
  }
  on_batch_.Reset();
  on_error_.Reset();
  on_writable_.Reset();
  return info.Env().Undefined();
}

void UdpSocket::CloseFd() {
  reading_ = false;
  want_writable_ = false;
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  poll_events_ = 0;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

// Starts, changes or stops the uv_poll watch to match what JS waits for. While it watches, the
// wrapper is strongly referenced so the callbacks never reach a collected object.
bool UdpSocket::UpdatePoll(Napi::Env env) {
  int want = fd_ < 0 ? 0 : (reading_ ? UV_READABLE : 0) | (want_writable_ ? UV_WRITABLE : 0);
  if (want != 0) {
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
        CodedError(env, "ERR_SOCKET_NO_LOOP", "no event loop").ThrowAsJavaScriptException();
        return false;
      }
      poll_ = new uv_poll_t;
      int r = uv_poll_init_socket(loop, poll_, fd_);
      if (r < 0) {
        delete poll_;
        poll_ = nullptr;
        Error(env, -r, "uv_poll_init").ThrowAsJavaScriptException();
        return false;
      }
      poll_->data = this;
    }
    if (want != poll_events_) {
      int r = uv_poll_start(poll_, want, OnPoll);
      if (r < 0) {
        Error(env, -r, "uv_poll_start").ThrowAsJavaScriptException();
        return false;
      }
      poll_events_ = want;
    }
    if (!refed_) {
      Ref();
      refed_ = true;
    }
  } else {
    if (poll_ != nullptr && poll_events_ != 0) uv_poll_stop(poll_);
    poll_events_ = 0;
    if (refed_) {
      Unref();
      refed_ = false;
    }
  }
  return true;
}

void UdpSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  static_cast<UdpSocket*>(handle->data)->HandlePoll(status, events);
}

void UdpSocket::HandlePoll(int status, int events) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    // libuv stops the handle on POLLERR (src/unix/poll.c); the real cause is the socket's pending
    // error (e.g. ECONNREFUSED from an ICMP port unreachable), which reading it clears.
    poll_events_ = 0;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (fd_ >= 0) getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr == 0) {
      // Not a socket error we can consume: stop watching rather than spin.
      reading_ = false;
      want_writable_ = false;
    }
    ReportError(env, soerr != 0 ? soerr : -status, soerr != 0 ? "recvmmsg" : "uv_poll");
    if (fd_ >= 0 && !UpdatePoll(env)) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
    return;
  }
  if ((events & UV_WRITABLE) && want_writable_) {
    want_writable_ = false;
    UpdatePoll(env);
    if (!CallJs(env, on_writable_, {})) return;
  }
  if ((events & UV_READABLE) && reading_ && fd_ >= 0) ReadBatch(env);
}

void UdpSocket::ReadBatch(Napi::Env env) {
  for (uint32_t i = 0; i < batch_; i++) {
    rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    rx_msgs_[i].msg_hdr.msg_controllen = kCtrlSize;
    rx_msgs_[i].msg_hdr.msg_flags = 0;
  }
  int n = recvmmsg(fd_, rx_msgs_.data(), batch_, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return;
    ReportError(env, err, "recvmmsg");
    return;
  }
  for (int i = 0; i < n; i++) {
    uint8_t* rec = meta_data_ + static_cast<size_t>(i) * kUdpMetaSize;
    struct msghdr* hdr = &rx_msgs_[i].msg_hdr;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(hdr); c != nullptr; c = CMSG_NXTHDR(hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        // net/core/sock.c sock_recv_drops(): cumulative, sent only when non-zero.
        memcpy(&drops_, CMSG_DATA(c), sizeof(drops_));
      }
    }
    uint32_t length = rx_msgs_[i].msg_len;
    uint32_t flags = static_cast<uint32_t>(hdr->msg_flags);
    uint16_t fam = 0, port = 0;
    uint32_t scope = 0;
    memset(rec + kUdpMetaAddress, 0, 16);
    const sockaddr_storage& from = rx_addr_[i];
    if (from.ss_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
      fam = 4;
      port = ntohs(sin->sin_port);
      memcpy(rec + kUdpMetaAddress, &sin->sin_addr, 4);
    } else if (from.ss_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
      fam = 6;
      port = ntohs(sin6->sin6_port);
      scope = sin6->sin6_scope_id;
      memcpy(rec + kUdpMetaAddress, &sin6->sin6_addr, 16);
    }
    memcpy(rec + kUdpMetaLength, &length, sizeof(length));
    memcpy(rec + kUdpMetaFlags, &flags, sizeof(flags));
    memcpy(rec + kUdpMetaFamily, &fam, sizeof(fam));
    memcpy(rec + kUdpMetaPort, &port, sizeof(port));
    memcpy(rec + kUdpMetaScope, &scope, sizeof(scope));
  }
  if (n > 0) CallJs(env, on_batch_, {Napi::Number::New(env, n), Napi::Number::New(env, drops_)});
}

void UdpSocket::ReportError(Napi::Env env, int err, const char* syscall) {
  Napi::Error error = Error(env, err, syscall);
  if (on_error_.IsEmpty()) {
    napi_fatal_exception(env, error.Value());
    return;
  }
  CallJs(env, on_error_, {error.Value()});
}

// Calls into JS from a libuv callback: MakeCallback runs the microtask queue afterwards, and an
// exception thrown by the callback goes to 'uncaughtException' instead of being dropped.
bool UdpSocket::CallJs(Napi::Env env, Napi::FunctionReference& fn,
                       const std::vector<napi_value>& args) {
  if (fn.IsEmpty()) return true;
  Napi::Function callee = fn.Value();
  callee.MakeCallback(Value(), args, async_ ? static_cast<napi_async_context>(*async_) : nullptr);
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
    return false;
  }
  return fd_ >= 0;
}

}  // namespace cansock
