// The endpoint client (SocketEndpointBacking) against a server thread in the
// test: a correct server (maps shared, interrupts, irqcontrol, register
// memory, rescind, hang-up), and hostile ones whose replies are malformed in
// one way each. Every hostile reply must give a DeviceError or Result error
// naming the endpoint and the problem, leak no fd, and never hang or crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <functional>
#include <string>

#include "../../src/backing/socket_endpoint_backing.h"
#include "endpoint_test_server.h"
#include "vmbus/backing/device_backing.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::Errc;
using vmbus::endpoint::DeviceReply;
using vmbus::test::FakeHost;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::TestEndpoint;
using vmbus::test::UniqueFd;
using ::testing::HasSubstr;

const std::vector<vmbus::test::MapSpec> kMaps = {{"txrx_rings", 16384}, {"int_page", 4096}, {"monitor_page", 4096}};

std::string socket_open_error(const fs::path& node, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  try {
    vmbus::detail::SocketEndpointBacking backing(node, {timeout});
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "(no error)";
}

// A DeviceReply for kMaps with real memfds and an eventfd, which `mutate`
// may spoil; then `size` bytes of it are sent with the fds.
struct Reply {
  DeviceReply message;
  std::vector<UniqueFd> owned;
  std::vector<int> fds;
  std::size_t size = sizeof(DeviceReply);
};

Reply good_reply() {
  Reply r;
  std::vector<vmbus::endpoint::MapInfo> infos;
  for (const auto& m : kMaps) {
    infos.push_back(vmbus::test::map_info(m.name, m.size));
    r.owned.push_back(vmbus::test::make_memfd(m.size));
  }
  r.owned.push_back(vmbus::test::make_eventfd());
  for (const auto& fd : r.owned) r.fds.push_back(fd.get());
  r.message = vmbus::test::device_reply(infos);
  return r;
}

void send_reply(int conn, const Reply& r) {
  vmbus::test::send_bytes(conn, std::as_bytes(std::span(&r.message, 1)).first(r.size), r.fds);
}

struct Hostile {
  const char* name;
  std::function<void(Reply&)> spoil;
  const char* expected;
};

void PrintTo(const Hostile& h, std::ostream* os) { *os << h.name; }

class HostileReply : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileReply, IsRefusedWithAMessageNamingTheProblem) {
  const Hostile& h = GetParam();
  const std::size_t fds_before = vmbus::test::open_fd_count();
  {
    TestEndpoint ep([&](int conn) {
      vmbus::test::read_hello(conn);
      Reply r = good_reply();
      h.spoil(r);
      send_reply(conn, r);
    });
    const std::string error = socket_open_error(ep.path());
    EXPECT_THAT(error, HasSubstr(ep.path().string()));
    EXPECT_THAT(error, HasSubstr(h.expected));
  }
  EXPECT_EQ(vmbus::test::open_fd_count(), fds_before) << "an fd leaked";
}

INSTANTIATE_TEST_SUITE_P(
    Endpoint, HostileReply,
    ::testing::Values(
        Hostile{"UnknownType", [](Reply& r) { r.message.header.type = 0x12345678; },
                "expected DeviceReply (type 2) in answer to Hello, got unknown message type 305419896"},
        Hostile{"WrongFdCount", [](Reply& r) { r.fds.pop_back(); },
                "carries 3 file descriptors, expected map_count + 1 = 4"},
        Hostile{"TooManyFds",
                [](Reply& r) {
                  for (int i = 0; i < 14; ++i) r.fds.push_back(r.fds[0]);
                },
                "carries more than 16 file descriptors"},
        Hostile{"MapSizeMismatch", [](Reply& r) { r.message.maps[1].size = 8192; },
                "map 1 (int_page): the memfd holds 4096 bytes but MapInfo says 8192 at offset 0"},
        Hostile{"MapPastTheMemfd", [](Reply& r) { r.message.maps[1].mmap_offset = 4096; },
                "map 1 (int_page): the memfd holds 4096 bytes but MapInfo says 4096 at offset 4096"},
        Hostile{"UnalignedMmapOffset", [](Reply& r) { r.message.maps[0].mmap_offset = 100; },
                "map 0 (txrx_rings): mmap_offset 100 is not a multiple of the page size"},
        Hostile{"UnknownInterruptKind", [](Reply& r) { r.message.interrupt_kind = 7; },
                "interrupt_kind 7, expected 0 (eventfd) or 1 (a kernel uio file)"},
        Hostile{"UioKindWithMemfds", [](Reply& r) { r.message.interrupt_kind = 1; },
                "map 0 (txrx_rings): interrupt_kind is uio but its file descriptor is not a character device"},
        Hostile{"TruncatedMessage", [](Reply& r) { r.size = 100; },
                "its header says 456 bytes but 100 arrived"},
        Hostile{"ShorterThanAHeader", [](Reply& r) { r.size = 4; }, "shorter than a message header"},
        Hostile{"SizeFieldLies", [](Reply& r) { r.message.header.size = 200; },
                "its header says 200 bytes but 456 arrived"},
        Hostile{"NoMaps", [](Reply& r) { r.message.map_count = 0; }, "announces 0 maps, expected 1 to 5"},
        Hostile{"TooManyMaps", [](Reply& r) { r.message.map_count = 9; }, "announces 9 maps, expected 1 to 5"},
        Hostile{"UnterminatedName", [](Reply& r) { std::memset(r.message.maps[0].name, 'A', 64); },
                "map 0: the name is empty, not NUL-terminated or not printable"},
        Hostile{"EmptyName", [](Reply& r) { r.message.maps[2].name[0] = '\0'; }, "map 2: the name is empty"},
        Hostile{"ZeroSize", [](Reply& r) { r.message.maps[0].size = 0; }, "map 0 (txrx_rings): size 0"},
        Hostile{"Offset", [](Reply& r) { r.message.maps[0].offset = 4096; }, "offset 4096, expected 0"},
        Hostile{"EventfdIsAMemfd",
                [](Reply& r) {
                  r.owned.push_back(vmbus::test::make_memfd(4096));
                  r.fds.back() = r.owned.back().get();
                },
                "the last file descriptor of DeviceReply is not an eventfd"},
        Hostile{"MapIsNotAMemfd",
                [](Reply& r) {
                  r.owned.push_back(vmbus::test::make_eventfd());
                  r.fds[0] = r.owned.back().get();
                },
                "map 0 (txrx_rings): its file descriptor is not a memory file"},
        Hostile{"ErrorReply",
                [](Reply& r) {
                  vmbus::endpoint::ErrorReply e{};
                  e.header = {static_cast<std::uint32_t>(vmbus::endpoint::MessageType::error), sizeof e};
                  e.error = EBUSY;
                  std::strcpy(e.message, "device already open by pid 42");
                  std::memcpy(&r.message, &e, sizeof e);
                  r.size = sizeof e;
                  r.fds.clear();
                },
                "refused by the server: device already open by pid 42"},
        Hostile{"ErrorReplyUnterminated",
                [](Reply& r) {
                  vmbus::endpoint::ErrorReply e{};
                  e.header = {static_cast<std::uint32_t>(vmbus::endpoint::MessageType::error), sizeof e};
                  e.error = EPERM;
                  std::memset(e.message, 'x', sizeof e.message);
                  std::memcpy(&r.message, &e, sizeof e);
                  r.size = sizeof e;
                },
                "refused by the server: xxxx"},
        Hostile{"RescindedInsteadOfReply",
                [](Reply& r) {
                  r.message.header = {static_cast<std::uint32_t>(vmbus::endpoint::MessageType::rescinded), 8};
                  r.size = 8;
                  r.fds.clear();
                },
                "got Rescinded"}),
    [](const ::testing::TestParamInfo<Hostile>& param) { return std::string(param.param.name); });

TEST(SocketBacking, OversizedReplyIsRefused) {
  TestEndpoint ep([](int conn) {
    vmbus::test::read_hello(conn);
    std::vector<std::byte> big(600);
    vmbus::test::send_bytes(conn, big);
  });
  EXPECT_THAT(socket_open_error(ep.path()), HasSubstr("600 bytes, longer than any message of the protocol (456)"));
}

TEST(SocketBacking, ServerClosingWithoutAReplyIsReported) {
  TestEndpoint ep([](int conn) { vmbus::test::read_hello(conn); });
  EXPECT_THAT(socket_open_error(ep.path()), HasSubstr("closed the connection instead of answering Hello"));
}

TEST(SocketBacking, SilentServerTimesOut) {
  TestEndpoint ep([](int conn) {
    vmbus::test::read_hello(conn);
    pollfd p{conn, POLLIN, 0};
    (void)::poll(&p, 1, 5000);  // until the client gives up and closes
  });
  EXPECT_THAT(socket_open_error(ep.path(), std::chrono::milliseconds(200)),
              HasSubstr("no reply to Hello within 200 ms"));
}

TEST(SocketBacking, NobodyListening) {
  vmbus::test::TempDir dir;
  const fs::path path = dir.path() / "uio0";
  {
    // Bound, then closed: the socket file stays, nobody listens on it (a
    // crashed hvsim leaves exactly this behind).
    UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(s.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  }
  EXPECT_THAT(socket_open_error(path), HasSubstr("no server is listening on this endpoint: is hvsim"));
}

// ---- A correct server --------------------------------------------------------

TEST(SocketBacking, MapsAreSharedWithTheHostAndSealedAgainstShrinking) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  EXPECT_THAT(backing->describe(), HasSubstr("endpoint " + host.path().string()));
  vmbus::MappedRegion rings = backing->map(0, 16384);
  ASSERT_TRUE(rings);
  EXPECT_EQ(rings.size(), 16384u);
  host.host_map(0)[5000] = std::byte{0x5a};
  EXPECT_EQ(rings.data()[5000], std::byte{0x5a});
  rings.data()[7] = std::byte{0x42};
  EXPECT_EQ(host.host_map(0)[7], std::byte{0x42});
  // A host shrinking the memfd under the mapping would SIGBUS the guest.
  EXPECT_NE(::fcntl(host.host_memfd(0), F_GET_SEALS) & F_SEAL_SHRINK, 0);
  EXPECT_NE(::ftruncate(host.host_memfd(0), 4096), 0);
}

TEST(SocketBacking, MapWithTheWrongSizeOrIndexNamesIt) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  try {
    (void)backing->map(1, 8192);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("map 1 (int_page): asked to map 8192 bytes (sysfs maps/map1/size) but the "
                                    "endpoint's MapInfo says 4096"));
  }
  try {
    (void)backing->map(3, 4096);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("map 3: the endpoint offers only 3 maps"));
  }
}

TEST(SocketBacking, InterruptsAreCountedAndTheEventFdWakes) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  auto n = backing->take_interrupts();
  ASSERT_TRUE(IsOk(n));
  EXPECT_EQ(*n, 0u);
  pollfd p{backing->event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "nothing pending";
  host.interrupt(3);
  EXPECT_EQ(::poll(&p, 1, 5000), 1);
  n = backing->take_interrupts();
  ASSERT_TRUE(IsOk(n));
  EXPECT_EQ(*n, 3u);
  n = backing->take_interrupts();
  ASSERT_TRUE(IsOk(n));
  EXPECT_EQ(*n, 0u);
}

TEST(SocketBacking, IrqcontrolIsARoundTrip) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  EXPECT_TRUE(IsOk(backing->irqcontrol(1)));
  EXPECT_TRUE(IsOk(backing->irqcontrol(0)));
  EXPECT_EQ(host.irqcontrol_values(), (std::vector<std::int32_t>{1, 0}));
  host.irqcontrol_result = -EIO;  // the endpoint's image of uio_write after a rescind
  EXPECT_TRUE(HasError(backing->irqcontrol(1), Errc::rescinded));
  EXPECT_TRUE(HasError(backing->take_interrupts(), Errc::rescinded)) << "rescind is sticky";
}

TEST(SocketBacking, RescindMessageWakesTheWaiterAndIsReported) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  host.rescind();
  pollfd p{backing->event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1) << "a Rescinded message must make the event fd readable";
  EXPECT_TRUE(HasError(backing->take_interrupts(), Errc::rescinded));
  EXPECT_TRUE(HasError(backing->irqcontrol(1), Errc::rescinded));
}

TEST(SocketBacking, HangUpIsARescind) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  vmbus::MappedRegion rings = backing->map(0, 16384);
  host.hang_up();
  pollfd p{backing->event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_TRUE(HasError(backing->take_interrupts(), Errc::rescinded));
  rings.data()[0] = std::byte{1};  // the memory stays valid: no crash after the host went away
}

TEST(SocketBacking, RegisterMemory) {
  FakeHost host(kMaps);
  auto backing = vmbus::open_backing(host.path());
  auto* endpoint = dynamic_cast<vmbus::detail::SocketEndpointBacking*>(backing.get());
  ASSERT_NE(endpoint, nullptr);
  UniqueFd memfd = vmbus::test::make_memfd(1 << 20);
  EXPECT_TRUE(IsOk(endpoint->register_memory(0x100000000ull, 1 << 20, memfd.get())));
  EXPECT_EQ(host.registered().size(), 1u);
  EXPECT_TRUE(HasError(endpoint->register_memory(0x100000001ull, 4096, memfd.get()), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(endpoint->register_memory(0, 100, memfd.get()), Errc::invalid_argument, 1));
  EXPECT_TRUE(HasError(endpoint->register_memory(0, 2 << 20, memfd.get()), Errc::invalid_argument, 2));
}

// ---- Hostile answers to IrqControl -------------------------------------------

// Serves a correct DeviceReply, then answers the first IrqControl with `answer`.
void irqcontrol_answered_by(const std::function<void(int conn)>& answer, vmbus::Error expected) {
  Reply r = good_reply();
  TestEndpoint ep([&](int conn) {
    vmbus::test::read_hello(conn);
    send_reply(conn, r);
    alignas(8) std::byte buffer[vmbus::endpoint::kMaxMessageSize];
    if (!vmbus::test::wait_for_client(conn, 5000)) return;
    if (vmbus::test::receive_bytes(conn, buffer).size <= 0) return;
    answer(conn);
    pollfd p{conn, POLLIN, 0};
    (void)::poll(&p, 1, 5000);  // until the client closes
  });
  vmbus::detail::SocketEndpointBacking backing(ep.path(), {std::chrono::milliseconds(300)});
  vmbus::Status s = backing.irqcontrol(1);
  EXPECT_TRUE(HasError(s, expected.code, expected.detail));
}

TEST(SocketBacking, IrqcontrolAnsweredWithTheWrongTypeIsAProtocolError) {
  irqcontrol_answered_by(
      [](int conn) {
        vmbus::test::send_bytes(conn, vmbus::test::as_bytes_of(vmbus::test::result_message(
                                          vmbus::endpoint::MessageType::register_memory_result, 0)));
      },
      {Errc::io_error, EPROTO});
}

TEST(SocketBacking, IrqcontrolAnsweredWithATruncatedResultIsAProtocolError) {
  irqcontrol_answered_by(
      [](int conn) {
        auto m = vmbus::test::result_message(vmbus::endpoint::MessageType::irqcontrol_result, 0);
        vmbus::test::send_bytes(conn, vmbus::test::as_bytes_of(m).first(12));
      },
      {Errc::io_error, EPROTO});
}

TEST(SocketBacking, IrqcontrolAnsweredWithRescindedIsARescind) {
  irqcontrol_answered_by(
      [](int conn) {
        const vmbus::endpoint::MessageHeader h{static_cast<std::uint32_t>(vmbus::endpoint::MessageType::rescinded), 8};
        vmbus::test::send_bytes(conn, vmbus::test::as_bytes_of(h));
      },
      {Errc::rescinded, 0});
}

TEST(SocketBacking, IrqcontrolNeverAnsweredTimesOut) {
  irqcontrol_answered_by([](int) {}, {Errc::io_error, ETIMEDOUT});
}

TEST(SocketBacking, IrqcontrolAnsweredByHangingUpIsARescind) {
  irqcontrol_answered_by([](int conn) { ::shutdown(conn, SHUT_RDWR); }, {Errc::rescinded, 0});
}

}  // namespace

namespace {

TEST(SocketBacking, LateRepliesAfterATimeoutAreDroppedNotFatal) {
  Reply r = good_reply();
  TestEndpoint ep([&](int conn) {
    vmbus::test::read_hello(conn);
    send_reply(conn, r);
    alignas(8) std::byte buffer[vmbus::endpoint::kMaxMessageSize];
    const auto ok = vmbus::test::result_message(vmbus::endpoint::MessageType::irqcontrol_result, 0);
    for (int request = 0; request < 2; ++request) {
      if (!vmbus::test::wait_for_client(conn, 5000) || vmbus::test::receive_bytes(conn, buffer).size <= 0) return;
      if (request == 0) ::usleep(450'000);  // after the first call gave up, inside the second
      vmbus::test::send_bytes(conn, vmbus::test::as_bytes_of(ok));
    }
    (void)vmbus::test::wait_for_client(conn, 5000);  // until the client closes
  });
  vmbus::detail::SocketEndpointBacking backing(ep.path(), {std::chrono::milliseconds(300)});
  EXPECT_TRUE(HasError(backing.irqcontrol(1), Errc::io_error, ETIMEDOUT));
  EXPECT_TRUE(IsOk(backing.irqcontrol(1))) << "the server is slow, not broken";
  ::usleep(100'000);
  EXPECT_TRUE(IsOk(backing.take_interrupts())) << "a stale IrqControlResult is not a protocol error";
}

}  // namespace
