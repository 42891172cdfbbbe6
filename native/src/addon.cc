// Entry point of the can_socket addon: the RawCanSocket and UdpSocket classes and the layout
// constants that src/socketcan/kernel-frame.ts and src/multicast/udp-layout.ts read records with.
#include <napi.h>

#include "raw_can_socket.h"
#include "sd_notify.h"
#include "socket_options.h"
#include "udp_socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("RawCanSocket", cansock::RawCanSocket::Define(env));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("recordSize", static_cast<double>(cansock::kRecordSize));
  layout.Set("tsSec", static_cast<double>(cansock::kRecTsSec));
  layout.Set("tsNsec", static_cast<double>(cansock::kRecTsNsec));
  layout.Set("drops", static_cast<double>(cansock::kRecDrops));
  layout.Set("msgLen", static_cast<double>(cansock::kRecMsgLen));
  layout.Set("msgFlags", static_cast<double>(cansock::kRecMsgFlags));
  layout.Set("txStride", static_cast<double>(cansock::kTxStride));
  layout.Set("txSizeOffset", static_cast<double>(cansock::kTxSizeOffset));
  layout.Set("maxBatch", static_cast<double>(cansock::kMaxBatch));
  layout.Set("txChunk", static_cast<double>(cansock::kTxChunk));
  exports.Set("layout", layout);
  exports.Set("UdpSocket", cansock::UdpSocket::Define(env));
  Napi::Object udp = Napi::Object::New(env);
  udp.Set("metaSize", static_cast<double>(cansock::kUdpMetaSize));
  udp.Set("length", static_cast<double>(cansock::kUdpMetaLength));
  udp.Set("flags", static_cast<double>(cansock::kUdpMetaFlags));
  udp.Set("family", static_cast<double>(cansock::kUdpMetaFamily));
  udp.Set("port", static_cast<double>(cansock::kUdpMetaPort));
  udp.Set("scope", static_cast<double>(cansock::kUdpMetaScope));
  udp.Set("address", static_cast<double>(cansock::kUdpMetaAddress));
  udp.Set("slotSize", static_cast<double>(cansock::kUdpSlotSize));
  udp.Set("maxBatch", static_cast<double>(cansock::kUdpMaxBatch));
  exports.Set("udpLayout", udp);
  exports.Set("sdNotify", Napi::Function::New(env, cansock::SdNotify, "sdNotify"));
  exports.Set("attachSocketFilter",
              Napi::Function::New(env, cansock::AttachSocketFilter, "attachSocketFilter"));
  exports.Set("forceReceiveBuffer",
              Napi::Function::New(env, cansock::ForceReceiveBuffer, "forceReceiveBuffer"));
  return exports;
}

}  // namespace

NODE_API_MODULE(can_socket, Init)
