// One error type for the whole library: an std::error_code whose category names
// the area (core, firmware, delta, package, ...) plus a one-line message for
// people. Expected<T> carries either a value or an Error; the library reports
// every failure this way and never prints or exits.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace dfota {

class Error {
public:
  Error(std::error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  const std::error_code& code() const { return code_; }
  const std::string& message() const { return message_; }

  // True when the error is `value` of the enum's own category.
  template <typename Enum>
  requires std::is_error_code_enum_v<Enum>
  bool is(Enum value) const { return code_ == make_error_code(value); }

  // The same error with "context: " put in front of its message.
  Error with_context(std::string_view context) const;

private:
  std::error_code code_;
  std::string message_;
};

template <typename Enum>
requires std::is_error_code_enum_v<Enum> Error make_error(Enum value, std::string message) {
  return Error(make_error_code(value), std::move(message));
}

// Either a T or an Error. Accessing the wrong alternative is a programming
// error (asserted), not a recoverable condition.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(state_);
  }

private:
  std::variant<T, Error> state_;
};

template <> class [[nodiscard]] Expected<void> {
public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), failed_(true) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

private:
  Error error_{std::error_code(), std::string()};
  bool failed_ = false;
};

using Status = Expected<void>;

// The error category of one room's error enum: its name, and a message per
// value from `describe`, a switch over the enum (so that -Wswitch names a
// value left without one) that returns nullptr for a value outside it, which
// gets `unknown`. Each room keeps one as a function-local static.
template <typename Errc> class EnumErrorCategory final : public std::error_category {
public:
  using Describe = const char* (*)(Errc);
  EnumErrorCategory(const char* name, Describe describe, const char* unknown) noexcept
      : name_(name), describe_(describe), unknown_(unknown) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override {
    const char* text = describe_(static_cast<Errc>(value));
    return text ? text : unknown_;
  }

private:
  const char* name_;
  Describe describe_;
  const char* unknown_;
};

// Errors of the core area: byte streams, files, processes.
enum class CoreErrc {
  io_error = 1,      // a read or write failed
  not_found,         // a file or directory does not exist
  permission_denied, // the operating system refused access
  already_exists,    // an output would overwrite something
  invalid_input,     // data does not have the expected shape
  truncated,         // a stream ended before the data it announced
  limit_exceeded,    // input exceeds a stated safety limit
  unsafe_path,       // a path would lead outside its root
  subprocess_failed, // a helper program failed or is missing
  unsupported,       // valid but not supported by this build
  cancelled,         // the caller asked to stop (a progress callback said no)
};
const std::error_category& core_category();
std::error_code make_error_code(CoreErrc value);

// An Error for a failed system call, with errno mapped onto CoreErrc.
Error system_error(std::string_view what, int errno_value);

} // namespace dfota

template <> struct std::is_error_code_enum<dfota::CoreErrc> : std::true_type {};
