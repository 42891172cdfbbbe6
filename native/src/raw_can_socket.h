// A raw SocketCAN socket (linux/can/raw.h) bound to one interface, watched by a uv_poll handle on
// the environment's own loop. No threads: on readiness one recvmmsg(2) drains up to `batchSize`
// frames into a preallocated buffer and JS gets one callback per batch.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cansock {

// One received frame in the RX buffer, host byte order (src/socketcan/native-binding.ts
// RecordLayout, read from the exported `layout`): bytes 0..71 are the kernel's struct canfd_frame
// (struct can_frame is its 16-byte prefix).
constexpr size_t kRecordSize = 96;
constexpr size_t kRecTsSec = 72;     // f64 tv_sec of SO_TIMESTAMPNS, 0 when absent
constexpr size_t kRecTsNsec = 80;    // u32 tv_nsec
constexpr size_t kRecDrops = 84;     // u32 SO_RXQ_OVFL counter (cumulative, last seen)
constexpr size_t kRecMsgLen = 88;    // u32 bytes read: CAN_MTU (16) or CANFD_MTU (72)
constexpr size_t kRecMsgFlags = 92;  // u32 msg_flags: MSG_DONTROUTE = local, MSG_CONFIRM = own
// One frame to send: struct canfd_frame, then the number of bytes to write (16 or 72) at 72.
constexpr size_t kTxStride = 80;
constexpr size_t kTxSizeOffset = 72;
constexpr uint32_t kMaxBatch = 1024;
// Frames per sendmmsg(2) in Send(); src/socketcan/record-layout.ts `txChunk` (checked by a test).
constexpr uint32_t kTxChunk = 64;

class RawCanSocket : public Napi::ObjectWrap<RawCanSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit RawCanSocket(const Napi::CallbackInfo& info);
  ~RawCanSocket() override;

 private:
  Napi::Value StartReading(const Napi::CallbackInfo& info);
  Napi::Value StopReading(const Napi::CallbackInfo& info);
  Napi::Value WaitWritable(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetSendErrno(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value GetDrops(const Napi::CallbackInfo& info);

  bool Open(Napi::Env env, Napi::Object options);
  bool SetIntOption(Napi::Env env, int level, int name, int value, const char* what);
  bool CheckOpen(Napi::Env env);
  bool UpdatePoll(Napi::Env env);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void HandlePoll(int status, int events);
  void ReadBatch(Napi::Env env);
  void ReportError(Napi::Env env, int err, const char* syscall);
  bool CallJs(Napi::Env env, Napi::FunctionReference& fn, const std::vector<napi_value>& args);
  void CloseFd();

  int fd_ = -1;
  std::string ifname_;
  uv_poll_t* poll_ = nullptr;
  int poll_events_ = 0;
  bool reading_ = false;
  bool want_writable_ = false;
  bool refed_ = false;
  uint32_t batch_ = 64;
  uint32_t drops_ = 0;
  int send_errno_ = 0;
  Napi::Reference<Napi::ArrayBuffer> rx_ref_;
  uint8_t* rx_data_ = nullptr;
  std::vector<mmsghdr> rx_msgs_;
  std::vector<iovec> rx_iov_;
  std::vector<uint8_t> rx_ctrl_;
  std::vector<mmsghdr> tx_msgs_;
  std::vector<iovec> tx_iov_;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  Napi::FunctionReference on_writable_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

}  // namespace cansock
