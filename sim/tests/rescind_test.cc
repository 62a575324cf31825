// Rescind and hot-add: what the client sees, what disappears, what appears.
#include <gtest/gtest.h>
#include <poll.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.h"

namespace hvsim::test {
namespace {

class RescindTest : public SimFixture {};

TEST_F(RescindTest, TheClientGetsRescindedAndEverythingGoes) {
  const unsigned n = bind_uio("echo");
  auto c = open_client(n);
  ASSERT_TRUE(c);
  const stdfs::path dir = device_dir("echo");
  const Guid instance = sim().device("echo").spec.instance;
  sim().rescind("echo");
  // hv_uio_rescind: the reader is woken, then every operation fails.
  pollfd p{c->event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  auto m = receive(c->socket());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, static_cast<std::uint32_t>(ep::MessageType::rescinded));
  auto eof = receive(c->socket());
  ASSERT_TRUE(eof);
  EXPECT_EQ(eof->type, 0u);
  EXPECT_EQ(c->irqcontrol(1), -9999);  // the socket is closed
  // vmbus_device_unregister: the device directory, uio node and class entry go.
  EXPECT_FALSE(present(dir));
  EXPECT_FALSE(present(paths().uio_node(n)));
  EXPECT_FALSE(present(paths().class_uio / ("uio" + std::to_string(n))));
  EXPECT_FALSE(present(paths().stats_dir(instance)));
  EXPECT_FALSE(present(paths().driver_dir("uio_hv_generic") / instance.str()));
  int error = 0;
  EXPECT_FALSE(EndpointClient::open(paths().uio_node(n), &error));
  EXPECT_EQ(error, ENOENT);
  EXPECT_THROW((void)sim().device("echo"), SimError);
}

TEST_F(RescindTest, UnbindingAnOpenDeviceFailsTheClientWithEio) {
  auto c = open_client(bind_uio("echo"));
  ASSERT_TRUE(c);
  sim().unbind("echo");
  auto m = receive(c->socket());
  ASSERT_TRUE(m);
  ASSERT_EQ(m->type, static_cast<std::uint32_t>(ep::MessageType::error));
  EXPECT_EQ(m->as<ep::ErrorReply>().error, EIO);
  EXPECT_TRUE(present(device_dir("echo")));  // the device stays, unbound
}

TEST_F(RescindTest, HotAddMakesANewDirectoryAppear) {
  const DeviceStatus added = sim().offer(device_from_class("echo"));
  EXPECT_EQ(added.spec.relid, 41u);
  EXPECT_FALSE(added.spec.monitor_id);
  const stdfs::path dir = paths().device_dir(added.spec.instance);
  EXPECT_EQ(read_text(dir / "class_id"), "{" + kEchoClassGuid.str() + "}\n");
  EXPECT_EQ(read_text(dir / "id"), "41\n");
  EXPECT_FALSE(present(dir / "monitor_id"));
  // Offered with a driver: it comes bound, as after new_id or an override.
  const DeviceStatus bound = sim().offer(parse_device(
      nlohmann::json{{"class", "network"}, {"name", "eth1"}, {"driver", "uio_hv_generic"}}, "test"));
  ASSERT_TRUE(bound.uio);
  EXPECT_TRUE(bound.spec.monitor_id);
  EXPECT_TRUE(present(paths().uio_node(*bound.uio)));
  EXPECT_TRUE(open_client(*bound.uio));
}

TEST_F(RescindTest, ReofferAfterNewIdComesBackBoundToUio) {
  // A rescinded device offered again is a new device; new_id still matches it.
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", kEchoClassGuid.str());
  ASSERT_TRUE(wait_for([&] { return sim().device("echo").uio.has_value(); }));
  const std::string instance = sim().device("echo").spec.instance.str();
  sim().rescind("echo");
  const DeviceStatus again = sim().offer(device_from_class("echo", instance));
  EXPECT_EQ(again.driver, "uio_hv_generic");
  EXPECT_TRUE(again.uio);
}

TEST_F(RescindTest, ControlRequestsOfferAndRescind) {
  using nlohmann::json;
  json r = sim().handle_control({{"command", "offer"}, {"args", {R"({"class": "echo", "name": "e2", "relid": 60})"}}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["result"]["device"]["relid"], 60);
  EXPECT_TRUE(present(device_dir("e2")));
  r = sim().handle_control({{"command", "offer"}, {"args", {R"({"class": "echo", "relid": 60})"}}});
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_NE(r["error"].get<std::string>().find("relid 60 is already used by \"e2\""), std::string::npos) << r.dump();
  r = sim().handle_control({{"command", "rescind"}, {"args", {"e2"}}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  r = sim().handle_control({{"command", "rescind"}, {"args", {"e2"}}});
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_NE(r["error"].get<std::string>().find("no device \"e2\""), std::string::npos);
  r = sim().handle_control({{"command", "frobnicate"}});
  EXPECT_NE(r["error"].get<std::string>().find("unknown command"), std::string::npos);
  r = sim().handle_control(json::array());
  EXPECT_FALSE(r["ok"].get<bool>());
  r = sim().handle_control({{"command", "offer"}, {"args", {"{not json"}}});
  EXPECT_NE(r["error"].get<std::string>().find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace hvsim::test
