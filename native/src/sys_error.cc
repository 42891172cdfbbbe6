#include "sys_error.h"

#include <uv.h>

namespace cansock {

const char* ErrnoName(int err) {
  // libuv error codes are negated errno values on Unix (uv/errno.h).
  return uv_err_name(-err);
}

namespace {

Napi::Error SysErrorWith(Napi::Env env, int err, const char* syscall, const std::string& subject,
                         const char* subject_key, Napi::Value subject_value) {
  std::string code = ErrnoName(err);
  std::string message = std::string(syscall) + " " + code + " " + subject + ": " + uv_strerror(-err);
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("errno", Napi::Number::New(env, -err));
  obj.Set("syscall", Napi::String::New(env, syscall));
  obj.Set(subject_key, subject_value);
  return error;
}

}  // namespace

Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& subject,
                     const char* subject_key) {
  return SysErrorWith(env, err, syscall, subject, subject_key, Napi::String::New(env, subject));
}

Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& subject,
                     const char* subject_key, double subject_value) {
  return SysErrorWith(env, err, syscall, subject, subject_key,
                      Napi::Number::New(env, subject_value));
}

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Value().Set("code", Napi::String::New(env, code));
  return error;
}

Napi::TypeError CodedTypeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Value().Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace cansock
