// WatchEvents: vmbusd's stream of what happens on the bus, against hvsim:
// claims, leases, releases, the host's rescinds and offers, full rings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/packet/builders.h"
#include "vmbusd_process.h"

namespace vmbusd_test {
namespace {

using namespace std::chrono_literals;

// A WatchEvents stream read on its own thread into a list the test waits on.
class EventStream {
 public:
  EventStream(const VmbusdProcess& daemon, pb::WatchEventsRequest request)
      : stub_(pb::DeviceService::NewStub(daemon.reader_channel())) {
    reader_ = stub_->WatchEvents(&context_, request);
    // Live once the headers came: an event published after this is seen.
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this] {
      pb::Event e;
      while (reader_->Read(&e)) {
        std::lock_guard lock(mutex_);
        events_.push_back(e);
        changed_.notify_all();
      }
      std::lock_guard lock(mutex_);
      status_ = reader_->Finish();
      finished_ = true;
      changed_.notify_all();
    });
  }
  ~EventStream() {
    context_.TryCancel();
    thread_.join();
  }
  // Waits until an event matching `pred` arrived; returns it.
  std::optional<pb::Event> wait_for(const std::function<bool(const pb::Event&)>& pred,
                                    std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    std::optional<pb::Event> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& e : events_) {
        if (pred(e)) {
          found = e;
          return true;
        }
      }
      return finished_;
    });
    return found;
  }
  std::optional<pb::Event> wait_for_type(pb::EventType t, std::chrono::milliseconds timeout = 5s) {
    return wait_for([t](const pb::Event& e) { return e.type() == t; }, timeout);
  }
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return events_.size() >= n || finished_; }) && events_.size() >= n;
  }
  std::vector<pb::Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  bool finished(grpc::Status* status, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return finished_; });
    if (finished_ && status != nullptr) *status = status_;
    return finished_;
  }

 private:
  std::unique_ptr<pb::DeviceService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<pb::Event>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<pb::Event> events_;
  bool finished_ = false;
  grpc::Status status_;
};

class Watch : public ::testing::Test {
 protected:
  pb::Device claim(const std::string& what) {
    pb::ClaimDeviceRequest req;
    req.set_device(what);
    pb::Device d;
    const grpc::Status s = daemon_.admin_leases()->ClaimDevice(context().get(), req, &d);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d;
  }
  vmbus_it::HvsimProcess sim_;
  VmbusdProcess daemon_{sim_};
};

TEST_F(Watch, ClaimLeaseAndReleaseArriveInOrder) {
  EventStream stream(daemon_, {});
  const pb::Device echo = claim("echo");
  {
    auto holder = open_leased(echo);
  }
  ASSERT_TRUE(stream.wait_for_type(pb::EVENT_TYPE_LEASE_ENDED)) << daemon_.log();
  pb::ReleaseDeviceRequest release;
  release.set_device_id(echo.device_id());
  pb::ReleaseDeviceResponse r;
  ASSERT_TRUE(daemon_.admin_leases()->ReleaseDevice(context().get(), release, &r).ok());
  ASSERT_TRUE(stream.wait_for_type(pb::EVENT_TYPE_DEVICE_RELEASED));

  std::vector<pb::EventType> types;
  std::uint64_t last = 0;
  for (const pb::Event& e : stream.events()) {
    types.push_back(e.type());
    EXPECT_GT(e.sequence(), last);
    last = e.sequence();
    EXPECT_TRUE(e.has_time());
    EXPECT_FALSE(e.initial());
  }
  EXPECT_THAT(types, ::testing::ElementsAre(pb::EVENT_TYPE_DEVICE_CLAIMED, pb::EVENT_TYPE_LEASE_STARTED,
                                            pb::EVENT_TYPE_LEASE_ENDED, pb::EVENT_TYPE_DEVICE_RELEASED));
  const auto events = stream.events();
  EXPECT_EQ(events[0].device_claimed().device().device_id(), echo.device_id());
  EXPECT_EQ(events[1].lease_started().lease().peer().pid(), ::getpid());
  EXPECT_EQ(events[2].lease_ended().lease().end_reason(), pb::LEASE_END_REASON_HOLDER_CLOSED);
  EXPECT_EQ(events[3].device_released().driver(), "");  // hvsim's echo had no driver before
}

TEST_F(Watch, ARescindWhileLeasedReachesTheHolderAndTheStreamAndAnOfferFollows) {
  const pb::Device echo = claim("echo");
  auto holder = open_leased(echo);
  pb::WatchEventsRequest only_echo;
  only_echo.add_device_ids(echo.device_id());
  EventStream stream(daemon_, only_echo);

  sim_.ctl({"rescind", "echo"});
  const auto rescinded = stream.wait_for_type(pb::EVENT_TYPE_DEVICE_RESCINDED);
  ASSERT_TRUE(rescinded) << daemon_.log();
  EXPECT_EQ(rescinded->device_rescinded().device_id(), echo.device_id());
  const auto ended = stream.wait_for_type(pb::EVENT_TYPE_LEASE_ENDED);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->lease_ended().lease().end_reason(), pb::LEASE_END_REASON_DEVICE_RESCINDED);
  const auto w = holder->wait(5s);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, vmbus::Errc::rescinded);
  holder.reset();
  // The device is gone, its lease history is not.
  pb::ListLeasesRequest history;
  history.set_device_id(echo.device_id());
  history.set_include_ended(true);
  pb::ListLeasesResponse leases;
  const grpc::Status listed = daemon_.reader_leases()->ListLeases(context().get(), history, &leases);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_EQ(leases.leases_size(), 1);
  EXPECT_EQ(leases.leases(0).end_reason(), pb::LEASE_END_REASON_DEVICE_RESCINDED);

  sim_.ctl({"reoffer", "echo"});
  const auto offered = stream.wait_for_type(pb::EVENT_TYPE_DEVICE_OFFERED);
  ASSERT_TRUE(offered);
  EXPECT_EQ(offered->device_offered().device().device_id(), echo.device_id());
  EXPECT_EQ(offered->device_offered().device().state(), pb::DEVICE_STATE_OFFERED);  // the old claim is gone
}

TEST_F(Watch, InitialStateListsTheBusThenLiveEvents) {
  claim("network");
  pb::WatchEventsRequest req;
  req.set_send_initial_state(true);
  EventStream stream(daemon_, req);
  ASSERT_TRUE(stream.wait_count(7));  // six devices offered, one claimed
  const auto initial = stream.events();
  int offered = 0;
  for (const auto& e : initial) {
    EXPECT_TRUE(e.initial());
    if (e.type() == pb::EVENT_TYPE_DEVICE_OFFERED) ++offered;
  }
  EXPECT_EQ(offered, 6);  // hvsim's default devices
  claim("echo");
  const auto live = stream.wait_for([](const pb::Event& e) {
    return !e.initial() && e.type() == pb::EVENT_TYPE_DEVICE_CLAIMED;
  });
  ASSERT_TRUE(live);
  EXPECT_EQ(live->device_claimed().device().class_name(), "echo");
}

TEST_F(Watch, AGuestThatStopsReadingShowsAsRingFull) {
  const pb::Device echo = claim("echo");
  auto holder = open_leased(echo);
  pb::WatchEventsRequest only_full;
  only_full.add_types(pb::EVENT_TYPE_RING_FULL);
  EventStream stream(daemon_, only_full);
  // Send without reading the echoes: the host fills the guest's RX ring and
  // waits for room; then the guest's TX ring fills too.
  vmbus::Channel& ch = holder->channel(0);
  std::vector<std::byte> payload(1024, std::byte{0x5a});
  std::uint64_t id = 1;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const vmbus::Status s = ch.send(vmbus::packet::inband(payload, id));
    if (s) {
      ++id;
    } else if (s.error().code == vmbus::Errc::full) {
      break;
    } else {
      FAIL() << s.error().message();
    }
  }
  const auto full = stream.wait_for_type(pb::EVENT_TYPE_RING_FULL);
  pb::GetChannelRequest creq;
  creq.set_device_id(echo.device_id());
  creq.set_relid(echo.relid());
  pb::Channel state;
  (void)daemon_.reader_devices()->GetChannel(context().get(), creq, &state);
  ASSERT_TRUE(full) << "no RING_FULL after " << id << " packets; ring state: " << state.DebugString()
                    << "\nvmbusd's log:\n" << daemon_.log();
  EXPECT_EQ(full->ring_full().device_id(), echo.device_id());
  EXPECT_EQ(full->ring_full().relid(), echo.relid());
  EXPECT_TRUE(full->ring_full().has_ring());
  // The holder's counters as they were then: it had sent packets.
  ASSERT_TRUE(full->ring_full().has_counters());
  EXPECT_GT(full->ring_full().counters().packets_sent(), 0u);
  EXPECT_LE(full->ring_full().counters().packets_sent(), id);
}

TEST_F(Watch, ABadFilterIsRefusedAndStoppingEndsTheStream) {
  pb::WatchEventsRequest bad;
  bad.add_device_ids("not-a-guid");
  {
    EventStream stream(daemon_, bad);
    grpc::Status s;
    ASSERT_TRUE(stream.finished(&s, 5s));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EventStream live(daemon_, {});
  claim("echo");
  ASSERT_TRUE(live.wait_for_type(pb::EVENT_TYPE_DEVICE_CLAIMED));
  EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
  grpc::Status s;
  ASSERT_TRUE(live.finished(&s, 5s));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

}  // namespace
}  // namespace vmbusd_test
