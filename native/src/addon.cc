// Entry point of the can_socket addon: the RawCanSocket class and the layout constants that
// src/socketcan/kernel-frame.ts reads records with.
#include <napi.h>

#include "raw_can_socket.h"
#include "sd_notify.h"
#include "socket_options.h"

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
  exports.Set("layout", layout);
  exports.Set("sdNotify", Napi::Function::New(env, cansock::SdNotify, "sdNotify"));
  exports.Set("attachSocketFilter",
              Napi::Function::New(env, cansock::AttachSocketFilter, "attachSocketFilter"));
  exports.Set("forceReceiveBuffer",
              Napi::Function::New(env, cansock::ForceReceiveBuffer, "forceReceiveBuffer"));
  return exports;
}

}  // namespace

NODE_API_MODULE(can_socket, Init)
