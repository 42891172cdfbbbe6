// A non-blocking UDP socket (IPv4 or IPv6) for the multicast endpoint, watched by a uv_poll handle
// on the environment's own loop. No threads: on readiness one recvmmsg(2) drains up to `batchSize`
// datagrams into preallocated buffers and JS gets one callback per batch; sends go out as one
// sendmmsg(2) per batch. Only system calls live here; every policy (what to set, when to retry,
// what a drop means) is in TypeScript (src/multicast/native-udp-socket.ts).
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cansock {

// One received datagram's metadata in `rxMeta`, host byte order (src/multicast/udp-layout.ts).
constexpr size_t kUdpMetaSize = 32;
constexpr size_t kUdpMetaLength = 0;   // u32 bytes received (at most the slot size)
constexpr size_t kUdpMetaFlags = 4;    // u32 msg_flags (MSG_TRUNC: longer than the slot)
constexpr size_t kUdpMetaFamily = 8;   // u16 4 or 6
constexpr size_t kUdpMetaPort = 10;    // u16 source port
constexpr size_t kUdpMetaScope = 12;   // u32 IPv6 scope id (interface index), 0 for IPv4
constexpr size_t kUdpMetaAddress = 16; // 4 (IPv4) or 16 (IPv6) address bytes, network order
// Payload bytes per received datagram: python-can reads at most 4096 (bus.py recvmsg(4096)); one
// more byte tells a longer datagram from one of exactly 4096.
constexpr uint32_t kUdpSlotSize = 4097;
// sendmmsg(2)/recvmmsg(2) take at most UIO_MAXIOV (1024) messages per call.
constexpr uint32_t kUdpMaxBatch = 1024;

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override;

 private:
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastInterface(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastTTL(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastLoopback(const Napi::CallbackInfo& info);
  Napi::Value SetRecvBufferSize(const Napi::CallbackInfo& info);
  Napi::Value GetRecvBufferSize(const Napi::CallbackInfo& info);
  Napi::Value StartReading(const Napi::CallbackInfo& info);
  Napi::Value StopReading(const Napi::CallbackInfo& info);
  Napi::Value WaitWritable(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetSendErrno(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value GetDrops(const Napi::CallbackInfo& info);

  bool CheckOpen(Napi::Env env);
  bool ParseAddress(Napi::Env env, const Napi::Value& address, const Napi::Value& port,
                    sockaddr_storage* out, socklen_t* len, const char* syscall);
  bool InterfaceIndex(Napi::Env env, const std::string& iface, unsigned int* index,
                      const char* syscall);
  bool SetInt(Napi::Env env, int level, int name, int value, const char* what);
  bool UpdatePoll(Napi::Env env);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void HandlePoll(int status, int events);
  void ReadBatch(Napi::Env env);
  void ReportError(Napi::Env env, int err, const char* syscall);
  bool CallJs(Napi::Env env, Napi::FunctionReference& fn, const std::vector<napi_value>& args);
  Napi::Error Error(Napi::Env env, int err, const char* syscall);
  void CloseFd();

  int fd_ = -1;
  int family_ = AF_INET;
  std::string label_;
  uv_poll_t* poll_ = nullptr;
  int poll_events_ = 0;
  bool reading_ = false;
  bool want_writable_ = false;
  bool refed_ = false;
  uint32_t batch_ = 64;
  uint32_t drops_ = 0;
  int send_errno_ = 0;
  // The destination of the last unconnected send, parsed once and reused while it is the same.
  std::string dest_text_;
  uint32_t dest_port_ = 0;
  sockaddr_storage dest_{};
  socklen_t dest_len_ = 0;
  Napi::Reference<Napi::ArrayBuffer> rx_ref_;
  Napi::Reference<Napi::ArrayBuffer> meta_ref_;
  uint8_t* rx_data_ = nullptr;
  uint8_t* meta_data_ = nullptr;
  std::vector<mmsghdr> rx_msgs_;
  std::vector<iovec> rx_iov_;
  std::vector<sockaddr_storage> rx_addr_;
  std::vector<uint8_t> rx_ctrl_;
  std::vector<mmsghdr> tx_msgs_;
  std::vector<iovec> tx_iov_;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  Napi::FunctionReference on_writable_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

}  // namespace cansock
