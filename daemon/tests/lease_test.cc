// Leases through vmbusd over hvsim: an unchanged SDK driver opens a device
// vmbusd claimed, through vmbusd's lease root, and moves traffic; vmbusd
// notices the holder closing or dying and leases the device again; an admin
// revokes a lease and the holder sees a rescind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <chrono>
#include <thread>

#include "endpoint_socket.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/channel/counters_table.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/packet/builders.h"
#include "vmbusd_process.h"

namespace vmbusd_test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// One inband packet to hvsim's echo device and its echo back.
::testing::AssertionResult echo_once(vmbus::Device& device, std::uint64_t id) {
  vmbus::Channel& ch = device.channel(0);
  std::vector<std::byte> payload(64);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(id + i);
  if (auto s = ch.send(vmbus::packet::inband(payload, id)); !s) {
    return ::testing::AssertionFailure() << "send: " << s.error().message();
  }
  alignas(8) std::byte buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = ch.receive(buffer);
    if (!p) {
      if (p.error().code != vmbus::Errc::empty) return ::testing::AssertionFailure() << p.error().message();
      std::this_thread::yield();
      continue;
    }
    const bool same = p->payload.size() >= payload.size() &&
                      std::equal(payload.begin(), payload.end(), p->payload.begin());
    (void)ch.finish_receive();
    if (!same) return ::testing::AssertionFailure() << "the echo differs from what was sent";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no echo within 5 s";
}

class Lease : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.running()) << daemon_.log();
    pb::ClaimDeviceRequest req;
    req.set_device("echo");
    const grpc::Status s = daemon_.admin_leases()->ClaimDevice(context().get(), req, &echo_);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_.log();
    ASSERT_FALSE(echo_.lease_root().empty());
  }
  pb::Device get() {
    pb::GetDeviceRequest req;
    req.set_device_id(echo_.device_id());
    pb::Device d;
    EXPECT_TRUE(daemon_.reader_devices()->GetDevice(context().get(), req, &d).ok());
    return d;
  }
  std::vector<pb::Lease> leases(bool include_ended) {
    pb::ListLeasesRequest req;
    req.set_include_ended(include_ended);
    pb::ListLeasesResponse r;
    EXPECT_TRUE(daemon_.reader_leases()->ListLeases(context().get(), req, &r).ok());
    return {r.leases().begin(), r.leases().end()};
  }
  // Waits until the device has no active lease (vmbusd noticed the holder go).
  bool lease_ends_within(std::chrono::milliseconds t) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get().state() == pb::DEVICE_STATE_CLAIMED) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  vmbus_it::HvsimProcess sim_;
  VmbusdProcess daemon_{sim_};
  pb::Device echo_;
};

TEST_F(Lease, AnUnchangedSdkDriverLeasesTheDeviceAndMovesTraffic) {
  {
    auto device = open_leased(echo_);
    for (std::uint64_t id = 1; id <= 100; ++id) ASSERT_TRUE(echo_once(*device, id)) << "packet " << id;
    const pb::Device d = get();
    EXPECT_EQ(d.state(), pb::DEVICE_STATE_LEASED);
    ASSERT_TRUE(d.has_lease_id());
    const auto active = leases(false);
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].lease_id(), d.lease_id());
    EXPECT_EQ(active[0].device_id(), echo_.device_id());
    EXPECT_EQ(active[0].peer().pid(), ::getpid());
    EXPECT_TRUE(active[0].active());
  }  // the driver closes the device: the lease ends
  ASSERT_TRUE(lease_ends_within(5s)) << daemon_.log();
  const auto all = leases(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].active());
  EXPECT_EQ(all[0].end_reason(), pb::LEASE_END_REASON_HOLDER_CLOSED);

  // Leased again, from a clean device (vmbusd reopened it).
  auto again = open_leased(echo_);
  EXPECT_TRUE(echo_once(*again, 1000));
  EXPECT_NE(get().lease_id(), all[0].lease_id());
}

TEST_F(Lease, ASecondDriverIsRefusedNamingTheHolder) {
  auto holder = open_leased(echo_);
  try {
    auto second = open_leased(echo_);
    FAIL() << "a second lease of a leased device was granted";
  } catch (const vmbus::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("leased to pid " + std::to_string(::getpid())));
  }
  EXPECT_TRUE(echo_once(*holder, 7));  // the holder is undisturbed
}

TEST_F(Lease, AKilledHolderIsNoticedAndTheDeviceIsLeasedAgain) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child is a driver process: lease, move a packet, then hang until killed.
    ::close(ready[0]);
    try {
      auto device = open_leased(echo_);
      const char ok = echo_once(*device, 1) ? 'y' : 'n';
      (void)!::write(ready[1], &ok, 1);
      for (;;) ::pause();
    } catch (...) {
      (void)!::write(ready[1], "n", 1);
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, 'y') << "the child could not lease and echo; vmbusd's log:\n" << daemon_.log();
  const auto active = leases(false);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].peer().pid(), child);

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(lease_ends_within(5s)) << daemon_.log();
  const auto ended = leases(true);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end_reason(), pb::LEASE_END_REASON_HOLDER_CLOSED);

  auto device = open_leased(echo_);
  for (std::uint64_t id = 1; id <= 50; ++id) ASSERT_TRUE(echo_once(*device, id));
}

TEST_F(Lease, RevokeEndsTheLeaseAndTheHolderSeesARescind) {
  auto holder = open_leased(echo_);
  ASSERT_TRUE(echo_once(*holder, 1));
  const std::string id = get().lease_id();

  pb::RevokeLeaseRequest as_reader;
  as_reader.set_lease_id(id);
  pb::Lease l;
  EXPECT_EQ(daemon_.reader_leases()->RevokeLease(context().get(), as_reader, &l).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  pb::RevokeLeaseRequest req;
  req.set_lease_id(id);
  req.set_reason("maintenance");
  const grpc::Status s = daemon_.admin_leases()->RevokeLease(context().get(), req, &l);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(l.active());
  EXPECT_EQ(l.end_reason(), pb::LEASE_END_REASON_REVOKED);
  EXPECT_EQ(l.end_message(), "maintenance");

  const auto r = holder->wait(5s);
  ASSERT_FALSE(r) << "the holder saw no rescind";
  EXPECT_EQ(r.error().code, vmbus::Errc::rescinded);
  EXPECT_EQ(get().state(), pb::DEVICE_STATE_CLAIMED);
  holder.reset();
  // The device stays claimed and can be leased again.
  auto next = open_leased(echo_);
  EXPECT_TRUE(echo_once(*next, 2));

  pb::RevokeLeaseRequest unknown;
  unknown.set_lease_id("999");
  EXPECT_EQ(daemon_.admin_leases()->RevokeLease(context().get(), unknown, &l).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(Lease, ReleasingALeasedDeviceEndsTheLeaseFirst) {
  auto holder = open_leased(echo_);
  ASSERT_TRUE(echo_once(*holder, 1));
  pb::ReleaseDeviceRequest req;
  req.set_device_id(echo_.device_id());
  pb::ReleaseDeviceResponse r;
  const grpc::Status s = daemon_.admin_leases()->ReleaseDevice(context().get(), req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(r.has_ended_lease());
  EXPECT_EQ(r.ended_lease().end_reason(), pb::LEASE_END_REASON_RELEASED);
  EXPECT_EQ(r.device().state(), pb::DEVICE_STATE_OFFERED);
  const auto w = holder->wait(5s);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, vmbus::Errc::rescinded);
}

TEST_F(Lease, GetChannelShowsTheRingsMovingUnderTheHolder) {
  pb::GetChannelRequest req;
  req.set_device_id(echo_.device_id());
  req.set_relid(echo_.relid());
  pb::Channel idle;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &idle).ok());
  EXPECT_FALSE(idle.open());  // claimed, not leased: no live rings
  EXPECT_FALSE(idle.has_tx());

  auto holder = open_leased(echo_);
  pb::Channel before;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &before).ok());
  ASSERT_TRUE(before.open());
  ASSERT_TRUE(before.has_tx() && before.has_rx());
  EXPECT_TRUE(before.tx().indices_valid());
  EXPECT_GT(before.tx().data_size(), 0u);
  EXPECT_EQ(before.tx().bytes_to_read() + before.tx().bytes_to_write(), before.tx().data_size());
  EXPECT_TRUE(before.has_sampled_at());

  for (std::uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(echo_once(*holder, id));
  pb::Channel after;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &after).ok());
  // 10 packets of 64 bytes each way: 16-byte descriptor + 64 + 8-byte trailer.
  EXPECT_EQ(after.tx().write_index() - before.tx().write_index(), 10u * (16 + 64 + 8));
  EXPECT_EQ(after.rx().read_index() - before.rx().read_index(), after.rx().write_index() - before.rx().write_index());
  EXPECT_GT(after.rx().write_index(), before.rx().write_index());
  EXPECT_EQ(after.rx().bytes_to_read(), 0u);  // the holder read every echo
  // The holder's own counters, read by vmbusd from the memory it shares.
  ASSERT_TRUE(after.has_counters()) << daemon_.log();
  const vmbus::ChannelCountersSnapshot mine = holder->channel(0).counters().snapshot();
  EXPECT_EQ(after.counters().packets_sent(), 10u);
  EXPECT_EQ(after.counters().packets_received(), 10u);
  EXPECT_EQ(after.counters().bytes_sent(), mine.bytes_sent);
  EXPECT_EQ(after.counters().bytes_received(), mine.bytes_received);
  EXPECT_EQ(after.counters().signals_sent(), mine.signals_sent);
  EXPECT_FALSE(idle.has_counters());

  pb::ListChannelsRequest list;
  list.set_device_id(echo_.device_id());
  list.set_include_ring_state(true);
  pb::ListChannelsResponse channels;
  ASSERT_TRUE(daemon_.reader_devices()->ListChannels(context().get(), list, &channels).ok());
  ASSERT_GE(channels.channels_size(), 1);
  EXPECT_EQ(channels.channels(0).tx().write_index(), after.tx().write_index());
}

TEST_F(Lease, AThousandGetChannelCallsFromConcurrentClientsWhileTrafficRuns) {
  auto holder = open_leased(echo_);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> echoed{0};
  std::atomic<bool> echo_failed{false};
  std::thread traffic([&] {
    for (std::uint64_t id = 1; !stop.load(); ++id) {
      if (!echo_once(*holder, id)) {
        echo_failed = true;
        return;
      }
      echoed.fetch_add(1);
    }
  });
  constexpr int kClients = 4, kCallsEach = 250;
  std::atomic<int> ok{0}, live{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto stub = pb::DeviceService::NewStub(daemon_.reader_channel());  // a connection of its own
      pb::GetChannelRequest req;
      req.set_device_id(echo_.device_id());
      req.set_relid(echo_.relid());
      for (int i = 0; i < kCallsEach; ++i) {
        pb::Channel ch;
        if (stub->GetChannel(context().get(), req, &ch).ok()) {
          ok.fetch_add(1);
          if (ch.open() && ch.tx().indices_valid()) live.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const std::uint64_t during = echoed.load();
  stop = true;
  traffic.join();
  EXPECT_EQ(ok.load(), kClients * kCallsEach);
  EXPECT_EQ(live.load(), kClients * kCallsEach);
  EXPECT_FALSE(echo_failed.load());
  EXPECT_GT(during, 0u) << "no traffic ran while the control plane was queried";
}

}  // namespace
}  // namespace vmbusd_test

namespace vmbusd_test {
namespace {

// A kernel /dev/uioN upstream: vmbusd opens the character device itself and
// passes that one file for every map at offset K * PAGE_SIZE, with the uio
// interrupt kind. No uio_hv_generic exists here, so hvsim's endpoint socket
// is replaced by a character device of the same name: /dev/zero's (1, 5),
// which maps at any offset as uio does (its pages read as zeros, a valid
// empty ring) and accepts irqcontrol's write. It cannot be polled, which
// the SDK's backing requires of an interrupt fd, so the test speaks the
// endpoint protocol itself.
TEST_F(Lease, AKernelUioDeviceIsLeasedAsOneFileWithPageOffsets) {
  const vmbus::DeviceInfo info = vmbus::describe_device(vmbus::SysfsRoot(echo_.lease_root()),
                                                        vmbus::Guid::parse(echo_.device_id()).value());
  const std::filesystem::path node = sim_.root() / "dev" / info.uio_name;
  ASSERT_EQ(::unlink(node.c_str()), 0) << node;
  if (::mknod(node.c_str(), S_IFCHR | 0600, ::makedev(1, 5)) != 0) {
    GTEST_SKIP() << "cannot create a character device here (mknod: " << std::strerror(errno) << ")";
  }
  namespace ep = vmbus::endpoint;
  using vmbus::detail::ReceivedMessage;
  const std::filesystem::path lease_node = info.uio_node;  // <lease root>/dev/uioN, vmbusd's socket
  vmbus::UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, lease_node.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << lease_node;
  const ep::Hello hello{{static_cast<std::uint32_t>(ep::MessageType::hello), sizeof(ep::Hello)}, ep::kMagic, ep::kVersion};
  ASSERT_EQ(vmbus::detail::send_message(s.get(), std::as_bytes(std::span(&hello, 1)), {}), 0);
  ASSERT_EQ(vmbus::detail::wait_readable(s.get(), 5000ms), 0);
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  ReceivedMessage m;
  ASSERT_EQ(vmbus::detail::receive_message(s.get(), buffer, m, MSG_DONTWAIT), 0);
  ASSERT_EQ(m.size, sizeof(ep::DeviceReply)) << daemon_.log();
  ep::DeviceReply reply;
  std::memcpy(&reply, buffer, sizeof reply);
  EXPECT_EQ(reply.interrupt_kind, static_cast<std::uint32_t>(ep::InterruptKind::uio));
  ASSERT_EQ(reply.map_count, info.maps.size());
  ASSERT_EQ(m.fd_count, reply.map_count + 1);
  EXPECT_TRUE(daemon_.wait_for_log("kernel uio device", 5000ms)) << daemon_.log();
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  for (std::uint32_t k = 0; k < reply.map_count; ++k) {
    EXPECT_STREQ(reply.maps[k].name, info.maps[k].name.c_str());
    EXPECT_EQ(reply.maps[k].size, info.maps[k].size);
    EXPECT_EQ(reply.maps[k].mmap_offset, k * page) << "uio_mmap selects map K at page offset K";
  }
  for (std::size_t i = 0; i < m.fd_count; ++i) {
    struct stat st {};
    ASSERT_EQ(::fstat(m.fds[i].get(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(1, 5)) << "fd " << i << " is the uio file";
  }
  // Every map maps at its offset, as a driver does.
  for (std::uint32_t k = 0; k < reply.map_count; ++k) {
    void* p = ::mmap(nullptr, reply.maps[k].size, PROT_READ | PROT_WRITE, MAP_SHARED, m.fds[k].get(),
                     static_cast<off_t>(reply.maps[k].mmap_offset));
    ASSERT_NE(p, MAP_FAILED) << reply.maps[k].name;
    ::munmap(p, reply.maps[k].size);
  }

  // IrqControl: vmbusd writes it to the uio file and answers itself.
  const ep::IrqControl irq{{static_cast<std::uint32_t>(ep::MessageType::irqcontrol), sizeof(ep::IrqControl)}, 1, 0};
  ASSERT_EQ(vmbus::detail::send_message(s.get(), std::as_bytes(std::span(&irq, 1)), {}), 0);
  ASSERT_EQ(vmbus::detail::wait_readable(s.get(), 5000ms), 0);
  ReceivedMessage r;
  ASSERT_EQ(vmbus::detail::receive_message(s.get(), buffer, r, MSG_DONTWAIT), 0);
  ASSERT_EQ(r.size, sizeof(ep::IrqControlResult));
  ep::IrqControlResult result;
  std::memcpy(&result, buffer, sizeof result);
  EXPECT_EQ(result.header.type, static_cast<std::uint32_t>(ep::MessageType::irqcontrol_result));
  EXPECT_EQ(result.result, 0);

  // Counters shared by the holder, and the ring state from vmbusd's own
  // read-only mapping of map 0.
  const std::size_t bytes = 4096;
  vmbus::UniqueFd counters(::memfd_create("counters", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_EQ(::ftruncate(counters.get(), bytes), 0);
  ASSERT_EQ(::fcntl(counters.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  void* table_memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, counters.get(), 0);
  ASSERT_NE(table_memory, MAP_FAILED);
  auto table = vmbus::CountersTable::format({static_cast<std::byte*>(table_memory), bytes}, 4);
  vmbus::ChannelCounters::add(table.open_slot(0, echo_.relid()).packets_sent, 77);
  const ep::ShareCounters share{{static_cast<std::uint32_t>(ep::MessageType::share_counters), sizeof(ep::ShareCounters)}, 4, 0};
  const int fds[1] = {counters.get()};
  ASSERT_EQ(vmbus::detail::send_message(s.get(), std::as_bytes(std::span(&share, 1)), fds), 0);
  pb::GetChannelRequest req;
  req.set_device_id(echo_.device_id());
  req.set_relid(echo_.relid());
  pb::Channel c;
  for (int i = 0; i < 100 && !c.has_counters(); ++i) {
    std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &c).ok());
  }
  EXPECT_TRUE(c.open());
  EXPECT_TRUE(c.tx().indices_valid());
  EXPECT_GT(c.tx().data_size(), 0u);
  ASSERT_TRUE(c.has_counters()) << daemon_.log();
  EXPECT_EQ(c.counters().packets_sent(), 77u);
  ::munmap(table_memory, bytes);

  s.reset();  // the holder leaves
  EXPECT_TRUE(lease_ends_within(5s)) << daemon_.log();
}

// The host never answers vmbusd's Hello: the driver is told so after
// vmbusd's 4 s, and meanwhile the control plane answers as usual (the
// handshake is polled, not waited for under the lease server's lock).
TEST_F(Lease, ASilentHostFailsTheLeaseWithoutHoldingUpTheControlPlane) {
  const vmbus::DeviceInfo info = vmbus::describe_device(vmbus::SysfsRoot(echo_.lease_root()),
                                                        vmbus::Guid::parse(echo_.device_id()).value());
  const std::filesystem::path node = sim_.root() / "dev" / info.uio_name;
  ASSERT_EQ(::unlink(node.c_str()), 0);
  vmbus::UniqueFd silent(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, node.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(silent.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent.get(), 4), 0);  // connects queue up; nothing ever answers

  std::string error;
  std::thread opener([&] {
    try {
      (void)open_leased(echo_);
    } catch (const vmbus::DeviceError& e) {
      error = e.what();
    }
  });
  std::this_thread::sleep_for(300ms);  // the lease attempt is pending in vmbusd
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + 2s);
  pb::ListLeasesRequest req;
  pb::ListLeasesResponse r;
  const grpc::Status listed = daemon_.reader_leases()->ListLeases(ctx.get(), req, &r);
  EXPECT_TRUE(listed.ok()) << listed.error_message();
  opener.join();
  EXPECT_THAT(error, HasSubstr("no DeviceReply from " + node.string()));
  EXPECT_EQ(get().state(), pb::DEVICE_STATE_CLAIMED);
}

// A holder that shares counters in a memfd it could still shrink would let
// vmbusd's reads fault: the lease ends with a protocol error naming it.
TEST_F(Lease, UnsealedSharedCountersEndTheLease) {
  const vmbus::DeviceInfo info = vmbus::describe_device(vmbus::SysfsRoot(echo_.lease_root()),
                                                        vmbus::Guid::parse(echo_.device_id()).value());
  namespace ep = vmbus::endpoint;
  vmbus::UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, info.uio_node.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  const ep::Hello hello{{static_cast<std::uint32_t>(ep::MessageType::hello), sizeof(ep::Hello)}, ep::kMagic, ep::kVersion};
  ASSERT_EQ(vmbus::detail::send_message(s.get(), std::as_bytes(std::span(&hello, 1)), {}), 0);
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  vmbus::detail::ReceivedMessage m;
  ASSERT_EQ(vmbus::detail::wait_readable(s.get(), 5000ms), 0);
  ASSERT_EQ(vmbus::detail::receive_message(s.get(), buffer, m, MSG_DONTWAIT), 0);
  ASSERT_EQ(m.size, sizeof(ep::DeviceReply));

  vmbus::UniqueFd counters(::memfd_create("counters", MFD_CLOEXEC));
  ASSERT_EQ(::ftruncate(counters.get(), 4096), 0);
  const ep::ShareCounters share{{static_cast<std::uint32_t>(ep::MessageType::share_counters), sizeof(ep::ShareCounters)}, 4, 0};
  const int fds[1] = {counters.get()};
  ASSERT_EQ(vmbus::detail::send_message(s.get(), std::as_bytes(std::span(&share, 1)), fds), 0);
  ASSERT_EQ(vmbus::detail::wait_readable(s.get(), 5000ms), 0);
  vmbus::detail::ReceivedMessage e;
  ASSERT_EQ(vmbus::detail::receive_message(s.get(), buffer, e, MSG_DONTWAIT), 0);
  ASSERT_EQ(e.size, sizeof(ep::ErrorReply));
  ep::ErrorReply error;
  std::memcpy(&error, buffer, sizeof error);
  EXPECT_EQ(error.error, EPROTO);
  EXPECT_THAT(std::string(error.message), HasSubstr("not sealed against shrinking"));
  EXPECT_TRUE(lease_ends_within(5s)) << daemon_.log();
  const auto all = leases(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_THAT(all[0].end_message(), HasSubstr("ShareCounters"));
}

}  // namespace
}  // namespace vmbusd_test
