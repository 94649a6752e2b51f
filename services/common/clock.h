// Time as a dependency, so that deadlines and expiries can be tested without
// sleeping.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cdc {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The wall clock; lives forever.
  static const Clock& Real();
};

// A clock that moves only when told to. Thread-safe. It starts at the real
// time by default, because Redis applies key expiries by its own clock.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::Now()) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// absl::Time <-> google.protobuf.Timestamp at millisecond precision, the
// precision every store keeps.
google::protobuf::Timestamp ToProtoTime(absl::Time t);
absl::Time FromProtoTime(const google::protobuf::Timestamp& t);

}  // namespace cdc
