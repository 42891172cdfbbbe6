#include "raw_can_socket.h"

#include <errno.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "sys_error.h"

namespace cansock {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "record layout is read as little-endian by src/socketcan/kernel-frame.ts");
static_assert(sizeof(struct canfd_frame) == CANFD_MTU, "linux/can.h: CANFD_MTU");
static_assert(sizeof(struct can_frame) == CAN_MTU, "linux/can.h: CAN_MTU");
static_assert(kRecTsSec >= CANFD_MTU, "record metadata follows the canfd_frame");

// Room for SCM_TIMESTAMPNS (struct timespec) and SO_RXQ_OVFL (__u32) control messages.
constexpr size_t kCtrlSize =
    CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) + 16;

// Reads an optional boolean option; false with a pending exception on a wrong type.
bool GetBool(Napi::Env env, Napi::Object obj, const char* key, bool fallback, bool* out) {
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

// Reads an optional unsigned 32-bit option in [min, max].
bool GetUint(Napi::Env env, Napi::Object obj, const char* key, uint32_t fallback, uint32_t min,
             uint32_t max, uint32_t* out) {
  Napi::Value v = obj.Get(key);
  if (env.IsExceptionPending()) return false;
  if (v.IsUndefined()) {
    *out = fallback;
    return true;
  }
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || d != static_cast<double>(static_cast<uint32_t>(d)) || d < min || d > max) {
    CodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                   std::string("option ") + key + " must be an integer in [" + std::to_string(min) +
                       ", " + std::to_string(max) + "]")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

}  // namespace

Napi::Function RawCanSocket::Define(Napi::Env env) {
  return DefineClass(env, "RawCanSocket",
                     {
                         InstanceMethod<&RawCanSocket::StartReading>("startReading"),
                         InstanceMethod<&RawCanSocket::StopReading>("stopReading"),
                         InstanceMethod<&RawCanSocket::WaitWritable>("waitWritable"),
                         InstanceMethod<&RawCanSocket::Send>("send"),
                         InstanceMethod<&RawCanSocket::Close>("close"),
                         InstanceAccessor<&RawCanSocket::GetSendErrno>("sendErrno"),
                         InstanceAccessor<&RawCanSocket::GetClosed>("closed"),
                         InstanceAccessor<&RawCanSocket::GetDrops>("drops"),
                     });
}

// new RawCanSocket(ifname, options): opens, configures and binds; throws a system error.
RawCanSocket::RawCanSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawCanSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "RawCanSocket(ifname: string, options: object)")
        .ThrowAsJavaScriptException();
    return;
  }
  ifname_ = info[0].As<Napi::String>().Utf8Value();
  if (ifname_.empty() || ifname_.size() >= IFNAMSIZ || ifname_.find('\0') != std::string::npos) {
    CodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                   "interface name must have 1 to " + std::to_string(IFNAMSIZ - 1) + " bytes")
        .ThrowAsJavaScriptException();
    return;
  }
  if (!Open(env, info[1].As<Napi::Object>())) {
    CloseFd();
    return;
  }
  async_ = std::make_unique<Napi::AsyncContext>(env, "CanSocket", Value());
}

RawCanSocket::~RawCanSocket() { CloseFd(); }

bool RawCanSocket::SetIntOption(Napi::Env env, int level, int name, int value, const char* what) {
  if (setsockopt(fd_, level, name, &value, sizeof(value)) < 0) {
    SysError(env, errno, what, ifname_).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool RawCanSocket::Open(Napi::Env env, Napi::Object options) {
  bool fd_frames, loopback, recv_own, join_filters, timestamps, rxq_ovfl;
  uint32_t err_mask, rcvbuf, sndbuf;
  if (!GetBool(env, options, "fdFrames", false, &fd_frames) ||
      // linux/can/raw.h: loopback defaults to on, own messages to off.
      !GetBool(env, options, "loopback", true, &loopback) ||
      !GetBool(env, options, "recvOwnMsgs", false, &recv_own) ||
      !GetBool(env, options, "joinFilters", false, &join_filters) ||
      !GetBool(env, options, "timestamps", true, &timestamps) ||
      !GetBool(env, options, "rxqOverflow", true, &rxq_ovfl) ||
      !GetUint(env, options, "errMask", 0, 0, CAN_ERR_MASK, &err_mask) ||
      !GetUint(env, options, "receiveBufferBytes", 0, 0, INT32_MAX / 2, &rcvbuf) ||
      !GetUint(env, options, "sendBufferBytes", 0, 0, INT32_MAX / 2, &sndbuf) ||
      !GetUint(env, options, "batchSize", 64, 1, kMaxBatch, &batch_)) {
    return false;
  }
  Napi::Value filters_value = options.Get("filters");
  if (env.IsExceptionPending()) return false;
  bool has_filters = !filters_value.IsUndefined() && !filters_value.IsNull();
  Napi::Uint32Array filters;
  if (has_filters) {
    if (!filters_value.IsTypedArray() ||
        filters_value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        filters_value.As<Napi::Uint32Array>().ElementLength() % 2 != 0 ||
        filters_value.As<Napi::Uint32Array>().ElementLength() / 2 > CAN_RAW_FILTER_MAX) {
      CodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                     "option filters must be a Uint32Array of up to 512 (can_id, can_mask) pairs")
          .ThrowAsJavaScriptException();
      return false;
    }
    filters = filters_value.As<Napi::Uint32Array>();
  }

  fd_ = socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW);
  if (fd_ < 0) {
    SysError(env, errno, "socket", ifname_).ThrowAsJavaScriptException();
    return false;
  }
  unsigned int ifindex = if_nametoindex(ifname_.c_str());
  if (ifindex == 0) {
    SysError(env, errno, "if_nametoindex", ifname_).ThrowAsJavaScriptException();
    return false;
  }
  if (has_filters) {
    // linux/can/raw.h: an array of struct can_filter {can_id, can_mask}; zero filters = no frames.
    static_assert(sizeof(struct can_filter) == 2 * sizeof(uint32_t), "struct can_filter layout");
    size_t n = filters.ElementLength() / 2;
    if (setsockopt(fd_, SOL_CAN_RAW, CAN_RAW_FILTER, n ? filters.Data() : nullptr,
                   n * sizeof(struct can_filter)) < 0) {
      SysError(env, errno, "setsockopt", ifname_).ThrowAsJavaScriptException();
      return false;
    }
  }
  can_err_mask_t mask = err_mask;
  if (setsockopt(fd_, SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &mask, sizeof(mask)) < 0) {
    SysError(env, errno, "setsockopt", ifname_).ThrowAsJavaScriptException();
    return false;
  }
  if (!SetIntOption(env, SOL_CAN_RAW, CAN_RAW_LOOPBACK, loopback, "setsockopt") ||
      !SetIntOption(env, SOL_CAN_RAW, CAN_RAW_RECV_OWN_MSGS, recv_own, "setsockopt") ||
      (fd_frames && !SetIntOption(env, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, 1, "setsockopt")) ||
      (join_filters && !SetIntOption(env, SOL_CAN_RAW, CAN_RAW_JOIN_FILTERS, 1, "setsockopt")) ||
      (timestamps && !SetIntOption(env, SOL_SOCKET, SO_TIMESTAMPNS, 1, "setsockopt")) ||
      (rxq_ovfl && !SetIntOption(env, SOL_SOCKET, SO_RXQ_OVFL, 1, "setsockopt")) ||
      (sndbuf > 0 && !SetIntOption(env, SOL_SOCKET, SO_SNDBUF, sndbuf, "setsockopt"))) {
    return false;
  }
  if (rcvbuf > 0) {
    // SO_RCVBUFFORCE may exceed net.core.rmem_max but needs CAP_NET_ADMIN (socket(7)).
    int value = static_cast<int>(rcvbuf);
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof(value)) < 0 &&
        !SetIntOption(env, SOL_SOCKET, SO_RCVBUF, value, "setsockopt")) {
      return false;
    }
  }
  struct sockaddr_can addr;
  memset(&addr, 0, sizeof(addr));
  addr.can_family = AF_CAN;
  addr.can_ifindex = static_cast<int>(ifindex);
  if (bind(fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) {
    SysError(env, errno, "bind", ifname_).ThrowAsJavaScriptException();
    return false;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, ifname_.c_str(), ifname_.size());
  int mtu = 0;
  if (ioctl(fd_, SIOCGIFMTU, &ifr) == 0) mtu = ifr.ifr_mtu;
  int rcvbuf_actual = 0;
  socklen_t optlen = sizeof(rcvbuf_actual);
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_actual, &optlen);

  Napi::ArrayBuffer rx = Napi::ArrayBuffer::New(env, batch_ * kRecordSize);
  if (env.IsExceptionPending()) return false;
  rx_ref_ = Napi::Reference<Napi::ArrayBuffer>::New(rx, 1);
  rx_data_ = static_cast<uint8_t*>(rx.Data());
  memset(rx_data_, 0, rx.ByteLength());
  rx_msgs_.assign(batch_, mmsghdr{});
  rx_iov_.assign(batch_, iovec{});
  rx_ctrl_.assign(batch_ * kCtrlSize, 0);
  for (uint32_t i = 0; i < batch_; i++) {
    rx_iov_[i].iov_base = rx_data_ + i * kRecordSize;
    rx_iov_[i].iov_len = CANFD_MTU;
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    rx_msgs_[i].msg_hdr.msg_control = rx_ctrl_.data() + i * kCtrlSize;
  }
  tx_msgs_.assign(kTxChunk, mmsghdr{});
  tx_iov_.assign(kTxChunk, iovec{});

  Napi::Object self = Value();
  self.Set("interface", Napi::String::New(env, ifname_));
  self.Set("ifindex", Napi::Number::New(env, ifindex));
  self.Set("mtu", Napi::Number::New(env, mtu));
  self.Set("batchSize", Napi::Number::New(env, batch_));
  self.Set("receiveBufferBytes", Napi::Number::New(env, rcvbuf_actual));
  self.Set("rxBuffer", rx);
  return !env.IsExceptionPending();
}

bool RawCanSocket::CheckOpen(Napi::Env env) {
  if (fd_ >= 0) return true;
  CodedError(env, "ERR_CAN_SOCKET_CLOSED", "CAN socket on " + ifname_ + " is closed")
      .ThrowAsJavaScriptException();
  return false;
}

// startReading(onBatch(count), onError(err)): frames arrive in rxBuffer, one call per batch.
Napi::Value RawCanSocket::StartReading(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                   "startReading(onBatch, onError) takes two functions")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  on_error_ = Napi::Persistent(info[1].As<Napi::Function>());
  reading_ = true;
  UpdatePoll(env);
  return env.Undefined();
}

Napi::Value RawCanSocket::StopReading(const Napi::CallbackInfo& info) {
  reading_ = false;
  if (fd_ >= 0) UpdatePoll(info.Env());
  return info.Env().Undefined();
}

// waitWritable(onWritable | null): one callback when the socket can take more; null cancels.
Napi::Value RawCanSocket::WaitWritable(const Napi::CallbackInfo& info) {
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

// send(buf: Uint8Array, count): writes `count` records of kTxStride bytes with sendmmsg(2), never
// blocking. Returns how many went out; when fewer than `count`, sendErrno holds the first failure.
Napi::Value RawCanSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsNumber()) {
    CodedTypeError(env, "ERR_INVALID_ARG_TYPE", "send(buf: Uint8Array, count: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
  double count_d = info[1].As<Napi::Number>().DoubleValue();
  size_t capacity = buf.ByteLength() / kTxStride;
  if (!(count_d >= 0) || count_d > static_cast<double>(capacity) ||
      count_d != static_cast<double>(static_cast<uint32_t>(count_d))) {
    CodedTypeError(env, "ERR_OUT_OF_RANGE", "send count exceeds the buffer")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t count = static_cast<uint32_t>(count_d);
  uint8_t* base = buf.Data();
  uint32_t sent = 0;
  send_errno_ = 0;
  while (sent < count) {
    uint32_t chunk = std::min(count - sent, kTxChunk);
    uint32_t valid = 0;
    for (; valid < chunk; valid++) {
      uint8_t* rec = base + static_cast<size_t>(sent + valid) * kTxStride;
      size_t len = rec[kTxSizeOffset];
      if (len != CAN_MTU && len != CANFD_MTU) break;
      tx_iov_[valid].iov_base = rec;
      tx_iov_[valid].iov_len = len;
      tx_msgs_[valid].msg_hdr = msghdr{};
      tx_msgs_[valid].msg_hdr.msg_iov = &tx_iov_[valid];
      tx_msgs_[valid].msg_hdr.msg_iovlen = 1;
    }
    if (valid == 0) {
      send_errno_ = EINVAL;
      break;
    }
    int r = sendmmsg(fd_, tx_msgs_.data(), valid, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      send_errno_ = errno;
      break;
    }
    // A short count without an error: the next round reports the failing frame's errno.
    sent += static_cast<uint32_t>(r);
  }
  return Napi::Number::New(env, sent);
}

Napi::Value RawCanSocket::GetSendErrno(const Napi::CallbackInfo& info) {
  // Negative, as Node's `err.errno`.
  return Napi::Number::New(info.Env(), -send_errno_);
}

Napi::Value RawCanSocket::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fd_ < 0);
}

// The socket's receive-queue drop count. SO_RXQ_OVFL only reports it with the next frame that
// arrives, so ask the socket directly (SO_MEMINFO, net/core/sock.c sk_get_meminfo()).
Napi::Value RawCanSocket::GetDrops(const Napi::CallbackInfo& info) {
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
Napi::Value RawCanSocket::Close(const Napi::CallbackInfo& info) {
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

void RawCanSocket::CloseFd() {
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
bool RawCanSocket::UpdatePoll(Napi::Env env) {
  int want = fd_ < 0 ? 0 : (reading_ ? UV_READABLE : 0) | (want_writable_ ? UV_WRITABLE : 0);
  if (want != 0) {
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
        CodedError(env, "ERR_CAN_NO_LOOP", "no event loop").ThrowAsJavaScriptException();
        return false;
      }
      poll_ = new uv_poll_t;
      int r = uv_poll_init_socket(loop, poll_, fd_);
      if (r < 0) {
        delete poll_;
        poll_ = nullptr;
        SysError(env, -r, "uv_poll_init", ifname_).ThrowAsJavaScriptException();
        return false;
      }
      poll_->data = this;
    }
    if (want != poll_events_) {
      int r = uv_poll_start(poll_, want, OnPoll);
      if (r < 0) {
        SysError(env, -r, "uv_poll_start", ifname_).ThrowAsJavaScriptException();
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

void RawCanSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  static_cast<RawCanSocket*>(handle->data)->HandlePoll(status, events);
}

void RawCanSocket::HandlePoll(int status, int events) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    // libuv stops the handle on POLLERR (src/unix/poll.c) and reports UV_EBADF; the real cause is
    // the socket's pending error, e.g. ENETDOWN or ENODEV from can/raw.c raw_notify().
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

void RawCanSocket::ReadBatch(Napi::Env env) {
  for (uint32_t i = 0; i < batch_; i++) {
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
    uint8_t* rec = rx_data_ + static_cast<size_t>(i) * kRecordSize;
    struct msghdr* hdr = &rx_msgs_[i].msg_hdr;
    double sec = 0;
    uint32_t nsec = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(hdr); c != nullptr; c = CMSG_NXTHDR(hdr, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        sec = static_cast<double>(ts.tv_sec);
        nsec = static_cast<uint32_t>(ts.tv_nsec);
      } else if (c->cmsg_type == SO_RXQ_OVFL) {
        // net/core/sock.c sock_recv_drops(): the socket's cumulative drop count, sent only when
        // non-zero, so the last value seen is carried on.
        memcpy(&drops_, CMSG_DATA(c), sizeof(drops_));
      }
    }
    uint32_t msg_len = rx_msgs_[i].msg_len;
    uint32_t msg_flags = static_cast<uint32_t>(hdr->msg_flags);
    memcpy(rec + kRecTsSec, &sec, sizeof(sec));
    memcpy(rec + kRecTsNsec, &nsec, sizeof(nsec));
    memcpy(rec + kRecDrops, &drops_, sizeof(drops_));
    memcpy(rec + kRecMsgLen, &msg_len, sizeof(msg_len));
    memcpy(rec + kRecMsgFlags, &msg_flags, sizeof(msg_flags));
  }
  if (n > 0) CallJs(env, on_batch_, {Napi::Number::New(env, n)});
}

void RawCanSocket::ReportError(Napi::Env env, int err, const char* syscall) {
  Napi::Error error = SysError(env, err, syscall, ifname_);
  if (on_error_.IsEmpty()) {
    napi_fatal_exception(env, error.Value());
    return;
  }
  CallJs(env, on_error_, {error.Value()});
}

// Calls into JS from a libuv callback: MakeCallback runs the microtask queue afterwards, and an
// exception thrown by the callback goes to 'uncaughtException' instead of being dropped.
bool RawCanSocket::CallJs(Napi::Env env, Napi::FunctionReference& fn,
                          const std::vector<napi_value>& args) {
  if (fn.IsEmpty()) return true;
  // Keep the function alive even if the callback itself resets `fn` (e.g. by calling close()).
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
