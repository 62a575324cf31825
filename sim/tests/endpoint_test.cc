// The endpoint protocol, server side: Hello, the maps, one client at a time,
// irqcontrol, and refusals of malformed clients.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "sim_fixture.h"

namespace hvsim::test {
namespace {

class EndpointTest : public SimFixture {};

TEST_F(EndpointTest, HelloGivesTheMapsAndTheInterruptFd) {
  const unsigned n = bind_uio("echo");
  auto c = open_client(n);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->maps().size(), 3u);
  EXPECT_EQ(c->maps()[0].name, "txrx_rings");
  EXPECT_EQ(c->maps()[0].size, 2u * 0x12000);  // VMBUS_RING_SIZE(0x11000) per direction
  EXPECT_EQ(c->maps()[1].name, "int_page");
  EXPECT_EQ(c->maps()[1].size, 4096u);
  EXPECT_EQ(c->maps()[2].name, "monitor_page");
  EXPECT_EQ(c->maps()[2].size, 4096u);
  // hv_ringbuffer_init: both headers zeroed, feature_bits = 1.
  for (vmbus::RingMemory* m : {&c->tx_memory(), &c->rx_memory()}) {
    EXPECT_EQ(m->load_read_index(), 0u);
    EXPECT_EQ(m->load_write_index(), 0u);
    EXPECT_EQ(m->load_interrupt_mask(), 0u);
    EXPECT_EQ(m->load_feature_bits(), 1u);
  }
  EXPECT_TRUE(wait_for([&] { return sim().device("echo").client_pid == ::getpid(); }));
  EXPECT_TRUE(wait_for([&] { return read_text(device_dir("echo") / "state") == "3\n"; }));
  EXPECT_EQ(sim().device("echo").channels[0].state, ChannelState::open);
}

TEST_F(EndpointTest, NicMapsMatchSysfs) {
  sim().unbind("eth0");
  sim().bind("eth0", "uio_hv_generic");
  auto c = open_client(*sim().device("eth0").uio);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->maps().size(), 5u);
  const stdfs::path maps = device_dir("eth0") / "uio" / "uio0" / "maps";
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(c->maps()[i].name + "\n", read_text(maps / ("map" + std::to_string(i)) / "name"));
    EXPECT_EQ(c->maps()[i].size, std::stoull(read_text(maps / ("map" + std::to_string(i)) / "size"), nullptr, 16));
  }
  EXPECT_EQ(c->maps()[0].size, 2u * ((2u << 20) + 4096));
}

TEST_F(EndpointTest, OneClientAtATime) {
  const unsigned n = bind_uio("echo");
  auto first = open_client(n);
  ASSERT_TRUE(first);
  int error = 0;
  EXPECT_FALSE(EndpointClient::open(paths().uio_node(n), &error));
  EXPECT_EQ(error, EBUSY);
  // The last close: the channel closes, and the next client may open it.
  first->close();
  ASSERT_TRUE(wait_for([&] { return !sim().device("echo").client_pid.has_value(); }));
  EXPECT_TRUE(wait_for([&] { return read_text(device_dir("echo") / "state") == "2\n"; }));
  EXPECT_TRUE(open_client(n));
}

TEST_F(EndpointTest, IrqcontrolSetsTheInboundMaskAsTheKernelDoes) {
  auto c = open_client(bind_uio("echo"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->irqcontrol(0), 0);  // interrupt_mask = !0
  EXPECT_EQ(c->rx_memory().load_interrupt_mask(), 1u);
  EXPECT_TRUE(wait_for([&] { return read_text(device_dir("echo") / "channels" / "40" / "in_mask") == "1\n"; }));
  EXPECT_EQ(c->irqcontrol(1), 0);
  EXPECT_EQ(c->rx_memory().load_interrupt_mask(), 0u);
  // echo is monitored: irqcontrol(1) does not signal the host (monitor_allocated).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(counters("echo")[Counter::signals], 0u);
}

TEST_F(EndpointTest, MalformedClientsAreRefusedAndDisconnected) {
  const unsigned n = bind_uio("echo");
  auto expect_refused = [&](const void* data, std::size_t size, int expected_errno) {
    UniqueFd s = connect_seqpacket(paths().uio_node(n));
    ASSERT_TRUE(s);
    ASSERT_TRUE(send_message(s.get(), data, size));
    auto reply = receive(s.get());
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->type, static_cast<std::uint32_t>(ep::MessageType::error));
    EXPECT_EQ(reply->as<ep::ErrorReply>().error, expected_errno) << reply->as<ep::ErrorReply>().message;
    auto eof = receive(s.get());
    ASSERT_TRUE(eof);
    EXPECT_EQ(eof->type, 0u);  // closed
  };
  const ep::Hello bad_magic = hello_message(0x1234);
  expect_refused(&bad_magic, sizeof bad_magic, EPROTO);
  const ep::Hello bad_version = hello_message(ep::kMagic, 99);
  expect_refused(&bad_version, sizeof bad_version, EPROTONOSUPPORT);
  const std::uint32_t tiny = 1;
  expect_refused(&tiny, sizeof tiny, EPROTO);
  ep::Hello lying = hello_message();
  lying.header.size = 99;
  expect_refused(&lying, sizeof lying, EPROTO);
  const ep::IrqControl early{{static_cast<std::uint32_t>(ep::MessageType::irqcontrol), sizeof(ep::IrqControl)}, 1, 0};
  expect_refused(&early, sizeof early, EPROTO);
  const ep::MessageHeader server_only{static_cast<std::uint32_t>(ep::MessageType::rescinded), sizeof(ep::MessageHeader)};
  expect_refused(&server_only, sizeof server_only, EPROTO);
  // None of this disturbed the device: a good client still opens it.
  EXPECT_TRUE(open_client(n));
}

TEST_F(EndpointTest, FdsOnTheWrongMessageAreRefusedAndClosed) {
  const unsigned n = bind_uio("echo");
  UniqueFd s = connect_seqpacket(paths().uio_node(n));
  const ep::Hello hello = hello_message();
  UniqueFd stray(::memfd_create("stray", MFD_CLOEXEC));
  const int fds[1] = {stray.get()};
  ASSERT_TRUE(send_message(s.get(), &hello, sizeof hello, fds));
  auto reply = receive(s.get());
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, static_cast<std::uint32_t>(ep::MessageType::error));
}

TEST_F(EndpointTest, RegisterMemoryValidatesItsArguments) {
  auto c = open_client(bind_uio("echo"));
  ASSERT_TRUE(c);
  UniqueFd memfd(::memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_EQ(::ftruncate(memfd.get(), 1 << 16), 0);
  EXPECT_EQ(c->register_memory(0x1000, 1 << 16, memfd.get()), 0);
  EXPECT_EQ(c->register_memory(0x2000, 4096, memfd.get()), -EEXIST);   // overlaps
  EXPECT_EQ(c->register_memory(0x100001, 4096, memfd.get()), -EINVAL); // not page aligned
  EXPECT_EQ(c->register_memory(0x200000, 1 << 20, memfd.get()), -EINVAL);  // bigger than the memfd
  // The host sealed it against shrinking: truncating it cannot crash hvsim.
  EXPECT_NE(::ftruncate(memfd.get(), 0), 0);
}

}  // namespace
}  // namespace hvsim::test
