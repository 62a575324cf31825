// The KVP host ("kvp", sim/hosts/kvp): version negotiation with each offer
// the host can make, SET/GET/DELETE/ENUMERATE in every pool through the
// "kvp" control command, REG_U32/REG_U64, HV_S_CONT for what is missing,
// the IP operations, values too long for the wire, a guest that never
// answers, answers late or answers garbage, a rescind while a request waits,
// and `hvsim ctl kvp` from the real binary.
//
// The guest is written here on the public SDK (vmbus::Device + Channel,
// opened through hvsim's sysfs root) and answers with the protocol
// library's guest side (kvp::ic::respond_to_negotiate, kvp::guest::
// parse_request and fill_*_reply), as hv_kvp.c and hv_kvp_daemon would,
// from pools kept in memory in insertion order (the daemon's files are
// arrays in that order).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "child_process.h"
#include "hvsim/control_client.h"
#include "kvp/protocol/guest.h"
#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/negotiate.h"
#include "kvp/protocol/wire.h"
#include "kvp_client.h"
#include "shell_command.h"
#include "sim_fixture.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"


namespace hvsim::test::kvp_test {
namespace {

using nlohmann::json;
namespace ic = ::kvp::ic;
using Clock = std::chrono::steady_clock;

constexpr const char* kInstance = "242ff919-07db-4180-9c2e-b86cb68c8c55";
constexpr const char* kMac = "00:15:5D:00:00:01";
// A 2-core machine under a sanitizer is slow, never wrong.
constexpr auto kPatience = std::chrono::seconds(20);

// One kvp device, bound to uio_hv_generic at offer, with `kvp` settings.
SimConfig kvp_config(const json& kvp = json()) {
  SimConfig c;
  json dev = {{"name", "kvp"}, {"class", "kvp"}, {"instance", kInstance}, {"driver", "uio_hv_generic"}};
  if (!kvp.is_null()) dev["kvp"] = kvp;
  c.devices.push_back(parse_device(dev, "test"));
  return c;
}

// What the guest does with the next KVP requests.
enum class Misbehave { none, ignore, corrupt, delay };

struct GuestOptions {
  std::vector<ic::Version> framework{ic::kGuestFrameworkVersions.begin(), ic::kGuestFrameworkVersions.end()};
  std::vector<ic::Version> service{ic::kGuestKvpVersions.begin(), ic::kGuestKvpVersions.end()};
  bool answer_negotiate = true;
  std::chrono::milliseconds negotiate_delay{0};
};

// A KVP request as the guest saw it.
struct Seen {
  std::uint64_t trans_id = 0;
  ic::MessageHeader header{};
  std::size_t payload_size = 0;
  ::kvp::Request request;
};

// The guest: the device opened with the SDK, a thread answering the host.
class KvpGuest {
 public:
  explicit KvpGuest(const TreePaths& paths, GuestOptions options = {}) : options_(std::move(options)) {
    const vmbus::SysfsRoot root(paths.sys);
    device_ = vmbus::Device::open(vmbus::find_device(root, kInstance), {.map_shared_buffers = false});
    thread_ = std::thread([this] { run(); });
  }
  ~KvpGuest() {
    stop_.store(true);
    thread_.join();
  }
  KvpGuest(const KvpGuest&) = delete;
  KvpGuest& operator=(const KvpGuest&) = delete;

  // The next `count` KVP requests: not answered, answered with a malformed
  // reply, or answered `delay` late.
  void misbehave(Misbehave how, int count = 1, std::chrono::milliseconds delay = {}) {
    std::lock_guard lock(mutex_);
    misbehave_ = how;
    misbehave_count_ = count;
    delay_ = delay;
  }
  void put(::kvp::Pool pool, const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    store(pool, key, value);
  }
  std::optional<std::string> value(::kvp::Pool pool, const std::string& key) {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : pools_[::kvp::raw(pool)]) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
  std::optional<ic::NegotiateOffer> offer() {
    std::lock_guard lock(mutex_);
    return offer_;
  }
  std::optional<std::uint64_t> negotiate_trans_id() {
    std::lock_guard lock(mutex_);
    return negotiate_trans_id_;
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::optional<::kvp::IpInfo> ip_info_set() {
    std::lock_guard lock(mutex_);
    return ip_info_set_;
  }
  bool rescinded() const { return rescinded_.load(); }

 private:
  struct Delayed {
    Clock::time_point due;
    std::vector<std::byte> payload;
    std::uint64_t trans_id;
  };

  void store(::kvp::Pool pool, const std::string& key, const std::string& value) {
    auto& p = pools_[::kvp::raw(pool)];
    for (auto& [k, v] : p) {
      if (k == key) {
        v = value;
        return;
      }
    }
    p.emplace_back(key, value);
  }

  void run() {
    vmbus::Channel& ch = device_->channel(0);
    alignas(8) static thread_local std::byte buffer[32768];
    while (!stop_.load()) {
      send_due(ch);
      bool got = false;
      for (;;) {
        auto p = ch.receive(buffer);
        if (!p) break;
        got = true;
        handle(ch, *p);
      }
      (void)ch.finish_receive();
      if (ch.rescinded()) {
        rescinded_.store(true);
        return;
      }
      if (got || ch.arm_interrupts()) {
        ch.set_poll_mode();
        continue;
      }
      auto woke = device_->wait(std::chrono::milliseconds(10));
      ch.set_poll_mode();
      if (!woke && woke.error().code == vmbus::Errc::rescinded) {
        rescinded_.store(true);
        return;
      }
    }
  }

  void send_due(vmbus::Channel& ch) {
    std::vector<Delayed> due;
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      std::erase_if(delayed_, [&](Delayed& d) {
        if (d.due > now) return false;
        due.push_back(std::move(d));
        return true;
      });
    }
    for (const Delayed& d : due) (void)ch.send_inband(d.payload, d.trans_id);
  }

  void handle(vmbus::Channel& ch, const vmbus::IncomingPacket& packet) {
    if (packet.type != vmbus::PacketType::data_inband) return;
    // A private copy, answered in place (hv_kvp.c reuses its receive buffer).
    std::vector<std::byte> payload(packet.payload.begin(), packet.payload.end());
    auto msg = ic::parse_ic_message(payload);
    if (!msg) return;  // Linux drops it
    std::lock_guard lock(mutex_);
    if (msg->header.icmsgtype == ic::raw(ic::MessageType::negotiate)) {
      negotiate_trans_id_ = packet.trans_id;
      if (auto o = ic::parse_negotiate(payload)) offer_ = *o;
      if (!options_.answer_negotiate) return;
      auto r = ic::respond_to_negotiate(payload, options_.framework, options_.service);
      if (!r) return;
      payload.resize(r->reply_size);
      if (options_.negotiate_delay.count() > 0) {
        delayed_.push_back({Clock::now() + options_.negotiate_delay, std::move(payload), packet.trans_id});
        return;
      }
      (void)ch.send_inband(payload, packet.trans_id);
      return;
    }
    if (msg->header.icmsgtype != ic::raw(ic::MessageType::kvp_exchange)) return;
    auto request = ::kvp::guest::parse_request(msg->body);
    Seen s{packet.trans_id, msg->header, payload.size(), {}};
    if (request) s.request = *request;
    seen_.push_back(s);

    Misbehave how = Misbehave::none;
    if (misbehave_count_ > 0) {
      how = misbehave_;
      --misbehave_count_;
    }
    if (how == Misbehave::ignore) return;
    if (!request) {
      (void)ic::make_response(payload, ic::kHvEFail);
    } else {
      answer(payload, *request);
    }
    if (how == Misbehave::corrupt && request) corrupt(payload, *request);
    if (how == Misbehave::delay) {
      delayed_.push_back({Clock::now() + delay_, std::move(payload), packet.trans_id});
      return;
    }
    (void)ch.send_inband(payload, packet.trans_id);
  }

  // hv_kvp_daemon's answers: HV_S_CONT for a missing key or an index past
  // the end, HV_E_FAIL for an adapter it does not know.
  void answer(std::span<std::byte> payload, const ::kvp::Request& request) {
    struct Answer {
      KvpGuest& g;
      std::span<std::byte> payload;
      std::vector<std::pair<std::string, std::string>>& pool(::kvp::Pool p) const { return g.pools_[::kvp::raw(p)]; }
      void operator()(const ::kvp::SetRequest& r) const {
        g.store(r.pool, r.key, r.value.text);
        (void)ic::make_response(payload, ic::kHvSOk);
      }
      void operator()(const ::kvp::GetRequest& r) const {
        for (const auto& [k, v] : pool(r.pool)) {
          if (k == r.key) {
            if (!::kvp::guest::fill_get_reply(payload, v)) (void)ic::make_response(payload, ic::kHvEFail);
            return;
          }
        }
        (void)ic::make_response(payload, ic::kHvSCont);
      }
      void operator()(const ::kvp::DeleteRequest& r) const {
        auto& p = pool(r.pool);
        const auto n = std::erase_if(p, [&](const auto& e) { return e.first == r.key; });
        (void)ic::make_response(payload, n != 0 ? ic::kHvSOk : ic::kHvSCont);
      }
      void operator()(const ::kvp::EnumerateRequest& r) const {
        const auto& p = pool(r.pool);
        if (r.index >= p.size()) {
          (void)ic::make_response(payload, ic::kHvSCont);
        } else if (!::kvp::guest::fill_enumerate_reply(payload, p[r.index].first, p[r.index].second)) {
          (void)ic::make_response(payload, ic::kHvEFail);
        }
      }
      void operator()(const ::kvp::GetIpInfoRequest& r) const {
        if (r.adapter_id != kMac) {
          (void)ic::make_response(payload, ic::kHvEFail);
          return;
        }
        ::kvp::IpInfo info{kMac, ::kvp::kAddrFamilyIpv4, 1, "10.0.0.4", "255.255.255.0", "10.0.0.1", "168.63.129.16"};
        if (!::kvp::guest::fill_get_ip_info_reply(payload, info)) (void)ic::make_response(payload, ic::kHvEFail);
      }
      void operator()(const ::kvp::SetIpInfoRequest& r) const {
        g.ip_info_set_ = r.info;
        (void)ic::make_response(payload, ic::kHvSOk);
      }
    };
    std::visit(Answer{*this, payload}, request);
  }

  // A reply that breaks one rule: a GET value's odd UTF-16 size, else a
  // reply without ICMSGHDRFLAG_RESPONSE.
  static void corrupt(std::span<std::byte> payload, const ::kvp::Request& request) {
    const std::uint32_t status = ::kvp::wire::load<std::uint32_t>(payload, ic::kStatusOffset);
    if (std::holds_alternative<::kvp::GetRequest>(request) && status == ic::kHvSOk) {
      ::kvp::wire::store<std::uint32_t>(
          payload, ic::kIcMsgHdr + ::kvp::kExchangeValueOffset + offsetof(::kvp::ExchangeValue, value_size), 3);
    } else {
      ::kvp::wire::store<std::uint8_t>(payload, ic::kIcFlagsOffset, ic::kFlagTransaction);
    }
  }

  GuestOptions options_;
  std::unique_ptr<vmbus::Device> device_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> rescinded_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> pools_[::kvp::kPoolCount];
  Misbehave misbehave_ = Misbehave::none;
  int misbehave_count_ = 0;
  std::chrono::milliseconds delay_{0};
  std::vector<Delayed> delayed_;
  std::optional<ic::NegotiateOffer> offer_;
  std::optional<std::uint64_t> negotiate_trans_id_;
  std::vector<Seen> seen_;
  std::optional<::kvp::IpInfo> ip_info_set_;
};

class KvpHostTest : public SimFixture {
 protected:
  void SetUp() override {}  // each test starts its own config

  // A `kvp` control command run to its end (submit, then ask for the result).
  json kvp(const std::vector<std::string>& args) {
    return kvp_host::kvp_control([&](const json& r) { return sim().handle_control(r); }, args);
  }
  json ok(const std::vector<std::string>& args) {
    json r = kvp(args);
    EXPECT_TRUE(r.value("ok", false)) << json(args).dump() << ": " << r.dump() << "\n" << log_.all();
    return r.value("result", json());
  }
  std::string error(const std::vector<std::string>& args) {
    json r = kvp(args);
    EXPECT_FALSE(r.value("ok", true)) << json(args).dump() << ": " << r.dump();
    return r.value("error", std::string());
  }
  json status() { return ok({"kvp", "status"}); }
  json control(const std::string& command, const std::vector<std::string>& args) {
    return sim().handle_control({{"command", command}, {"args", args}});
  }
  // Waits until the negotiation left "not_sent"/"waiting".
  json negotiated() {
    json s;
    EXPECT_TRUE(wait_for([&] {
      s = status();
      const std::string state = s["negotiation"].value("state", std::string());
      return state != "waiting" && state != "not_sent";
    }, kPatience)) << s.dump() << "\n" << log_.all();
    return s["negotiation"];
  }
  json kvp_counters() { return status()["counters"]; }
};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST_F(KvpHostTest, TheKvpClassDefaultsToTheKvpHostOfferingWhatHyperVOffers) {
  start(default_config());
  EXPECT_EQ(sim().device("kvp").spec.host, "kvp");
  EXPECT_EQ(resolve(device_from_class("kvp"), {}).host, "kvp");
  // config.h's defaults are the protocol library's (OpenVMM's) offer.
  const KvpConfig k;
  ASSERT_EQ(k.framework_versions.size(), ic::kHostFrameworkVersions.size());
  for (std::size_t i = 0; i < k.framework_versions.size(); ++i) {
    EXPECT_EQ(k.framework_versions[i].major, ic::kHostFrameworkVersions[i].major);
    EXPECT_EQ(k.framework_versions[i].minor, ic::kHostFrameworkVersions[i].minor);
  }
  ASSERT_EQ(k.kvp_versions.size(), ic::kHostKvpVersions.size());
  for (std::size_t i = 0; i < k.kvp_versions.size(); ++i) {
    EXPECT_EQ(k.kvp_versions[i].major, ic::kHostKvpVersions[i].major);
    EXPECT_EQ(k.kvp_versions[i].minor, ic::kHostKvpVersions[i].minor);
  }
  // Not open by a guest: status says so, an operation is refused.
  const json s = status();
  EXPECT_FALSE(s["open"].get<bool>());
  EXPECT_EQ(s["offered"]["kvp_versions"], json({"3.0", "4.0", "5.0"}));
  EXPECT_TRUE(contains(error({"kvp", "get", "Location"}), "the guest must have it open"));
}

TEST_F(KvpHostTest, TheKvpConfigObjectIsCheckedFieldByField) {
  const DeviceSpec s = resolve(parse_device({{"class", "kvp"},
                                             {"kvp", {{"framework_versions", {"3.0"}}, {"kvp_versions", {"3", "4.0"}},
                                                      {"timeout_ms", 250}}}},
                                            "test"),
                               {});
  EXPECT_EQ(s.kvp.framework_versions, (std::vector<IcVersion>{{3, 0}}));
  EXPECT_EQ(s.kvp.kvp_versions, (std::vector<IcVersion>{{3, 0}, {4, 0}}));
  EXPECT_EQ(s.kvp.timeout_ms, 250u);
  EXPECT_EQ(to_json(s)["kvp"]["kvp_versions"], json({"3.0", "4.0"}));
  auto error_of = [](const json& kvp, const char* cls = "kvp") -> std::string {
    try {
      (void)resolve(parse_device({{"class", cls}, {"name", "k"}, {"kvp", kvp}}, "test"), {});
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_TRUE(contains(error_of({{"kvp_versions", {"4.x"}}}), "kvp_versions: \"4.x\" is not a version"));
  EXPECT_TRUE(contains(error_of({{"framework_versions", "3.0"}}), "framework_versions: expected an array"));
  EXPECT_TRUE(contains(error_of({{"kvp_versions", json(std::vector<std::string>(101, "4.0"))}}), "above the maximum 100"));
  EXPECT_TRUE(contains(error_of({{"timeout_ms", 0}}), "timeout_ms: must be at least 1"));
  EXPECT_TRUE(contains(error_of({{"versions", json::array()}}), "unknown key \"versions\""));
  EXPECT_TRUE(contains(error_of(json::object(), "echo"), "only a kvp device has KVP settings"));
}

TEST_F(KvpHostTest, NegotiatesWithEachOfferTheHostCanMake) {
  struct Case {
    const char* name;
    json kvp;
    std::optional<std::pair<std::string, std::string>> expected;  // framework, KVP; nullopt: no common version
  };
  const Case cases[] = {
      {"default (Hyper-V's offer)", json(), std::pair{std::string("3.0"), std::string("4.0")}},
      {"KVP 3.0 only", {{"kvp_versions", {"3.0"}}}, std::pair{std::string("3.0"), std::string("3.0")}},
      {"framework 1.0 only", {{"framework_versions", {"1.0"}}}, std::pair{std::string("1.0"), std::string("4.0")}},
      {"KVP 2.0, which Linux does not speak", {{"kvp_versions", {"2.0"}}}, std::nullopt},
      {"framework 2.0, which Linux does not speak", {{"framework_versions", {"2.0"}}}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    start(kvp_config(c.kvp));
    KvpGuest guest(paths());
    const json n = negotiated();
    // The guest saw exactly the configured offer, with VMBus trans_id 0.
    const auto offer = guest.offer();
    ASSERT_TRUE(offer);
    const KvpConfig& offered = sim().device("kvp").spec.kvp;
    ASSERT_EQ(offer->framework().size(), offered.framework_versions.size());
    for (std::size_t i = 0; i < offered.framework_versions.size(); ++i) {
      EXPECT_EQ(offer->framework()[i].major, offered.framework_versions[i].major);
    }
    ASSERT_EQ(offer->service().size(), offered.kvp_versions.size());
    for (std::size_t i = 0; i < offered.kvp_versions.size(); ++i) {
      EXPECT_EQ(offer->service()[i].major, offered.kvp_versions[i].major);
    }
    EXPECT_EQ(guest.negotiate_trans_id(), 0u);
    if (!c.expected) {
      EXPECT_EQ(n["state"], "no_common_version");
      EXPECT_TRUE(contains(error({"kvp", "set", "Key", "Value"}), "no common IC version"));
      continue;
    }
    ASSERT_EQ(n["state"], "done");
    EXPECT_EQ(n["framework"], c.expected->first);
    EXPECT_EQ(n["kvp"], c.expected->second);
    // Requests carry the negotiated versions, TRANSACTION | REQUEST, IC id 0,
    // OpenVMM's 2580-byte KVP message, and a VMBus trans_id of their own.
    ok({"kvp", "set", "Key", "Value"});
    const auto seen = guest.seen();
    ASSERT_EQ(seen.size(), 1u);
    const auto& h = seen[0].header;
    EXPECT_EQ(ic_version_text({h.icverframe.major, h.icverframe.minor}), c.expected->first);
    EXPECT_EQ(ic_version_text({h.icvermsg.major, h.icvermsg.minor}), c.expected->second);
    EXPECT_EQ(h.icflags, ic::kFlagsRequest);
    EXPECT_EQ(h.ictransaction_id, 0u);
    EXPECT_EQ(h.icmsgsize, ::kvp::kHostKvpMessageSize);
    EXPECT_NE(seen[0].trans_id, 0u);
  }
}

TEST_F(KvpHostTest, SetGetDeleteEnumerateRoundTripInEveryPool) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  struct PoolCase {
    const char* option;  // what --pool says
    const char* name;    // what the result says
    ::kvp::Pool pool;
  };
  const PoolCase pools[] = {{"external", "external", ::kvp::Pool::external},
                            {"guest", "guest", ::kvp::Pool::guest},
                            {"auto", "auto", ::kvp::Pool::automatic},
                            {"auto_external", "auto_external", ::kvp::Pool::auto_external},
                            {"4", "auto_internal", ::kvp::Pool::auto_internal}};
  for (const auto& [name, canonical, pool] : pools) {
    SCOPED_TRACE(name);
    json r = ok({"kvp", "set", "--pool", name, "Location", "Rack 12, Größe ✓"});
    EXPECT_EQ(r["status_name"], "HV_S_OK");
    EXPECT_EQ(r["status"], "0x00000000");
    EXPECT_EQ(guest.value(pool, "Location"), "Rack 12, Größe ✓");
    ok({"kvp", "set", "Second", "2", "--pool", name});

    r = ok({"kvp", "get", "--pool", name, "Location"});
    EXPECT_EQ(r["status_name"], "HV_S_OK");
    EXPECT_EQ(r["value"], "Rack 12, Größe ✓");
    EXPECT_EQ(r["type"], "REG_SZ");
    EXPECT_EQ(r["pool"], canonical);

    r = ok({"kvp", "enumerate", "--pool", name});
    EXPECT_EQ(r["status_name"], "HV_S_CONT");
    ASSERT_EQ(r["entries"].size(), 2u);
    EXPECT_EQ(r["entries"][0]["key"], "Location");
    EXPECT_EQ(r["entries"][1]["key"], "Second");
    EXPECT_EQ(r["entries"][1]["value"], "2");
    EXPECT_EQ(r["transactions"], 3);

    r = ok({"kvp", "delete", "--pool", name, "Location"});
    EXPECT_EQ(r["status_name"], "HV_S_OK");
    EXPECT_FALSE(guest.value(pool, "Location"));
    // What is not there: HV_S_CONT, with hex and name.
    r = ok({"kvp", "get", "--pool", name, "Location"});
    EXPECT_EQ(r["status_name"], "HV_S_CONT");
    EXPECT_EQ(r["status"], "0x80070103");
    EXPECT_FALSE(r.contains("value"));
    EXPECT_EQ(ok({"kvp", "delete", "--pool", name, "Location"})["status_name"], "HV_S_CONT");
    ok({"kvp", "delete", "--pool", name, "Second"});
    EXPECT_EQ(ok({"kvp", "enumerate", "--pool", name})["entries"].size(), 0u);
  }
  // Every request in its own pool, one at a time, each answered.
  for (const Seen& s : guest.seen()) EXPECT_NE(s.trans_id, 0u);
  const json n = kvp_counters();
  EXPECT_EQ(n["requests_sent"], n["replies"]);
  EXPECT_EQ(n["failures"], 0);
  EXPECT_EQ(n["malformed_replies"], 0);
}

TEST_F(KvpHostTest, RegU32AndRegU64ValuesTravelAsNumbersAndComeBackAsDecimalText) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  json r = ok({"kvp", "set", "--type", "u32", "Small", "4294967295"});
  EXPECT_EQ(r["type"], "REG_U32");
  r = ok({"kvp", "set", "--type", "u64", "Large", "18446744073709551615"});
  EXPECT_EQ(r["type"], "REG_U64");
  const auto seen = guest.seen();
  ASSERT_EQ(seen.size(), 2u);
  const auto* small = std::get_if<::kvp::SetRequest>(&seen[0].request);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->value.type, ::kvp::kRegU32);
  EXPECT_EQ(small->value.number, 4294967295u);
  const auto* large = std::get_if<::kvp::SetRequest>(&seen[1].request);
  ASSERT_TRUE(large);
  EXPECT_EQ(large->value.type, ::kvp::kRegU64);
  // The daemon stores decimal text ("%u", "%llu") and answers REG_SZ.
  EXPECT_EQ(guest.value(::kvp::Pool::external, "Small"), "4294967295");
  r = ok({"kvp", "get", "Large"});
  EXPECT_EQ(r["value"], "18446744073709551615");
  EXPECT_EQ(r["type"], "REG_SZ");
  EXPECT_TRUE(contains(error({"kvp", "set", "--type", "u32", "Small", "4294967296"}), "is not a REG_U32 value"));
  EXPECT_TRUE(contains(error({"kvp", "set", "--type", "u64", "Large", "-1"}), "is not a REG_U64 value"));
  EXPECT_TRUE(contains(error({"kvp", "set", "--type", "dword", "K", "1"}), "is not sz, u32 or u64"));
}

TEST_F(KvpHostTest, EnumerateWalksAWholePoolUntilHvSCont) {
  start(kvp_config());
  KvpGuest guest(paths());
  // hv_kvp_daemon's AUTO pool by index.
  const char* keys[] = {"FullyQualifiedDomainName", "IntegrationServicesVersion", "NetworkAddressIPv4",
                        "NetworkAddressIPv6", "OSBuildNumber", "OSName", "OSMajorVersion", "OSMinorVersion",
                        "OSVersion", "ProcessorArchitecture"};
  for (const char* k : keys) guest.put(::kvp::Pool::automatic, k, std::string("value of ") + k);
  ASSERT_EQ(negotiated()["state"], "done");
  const json r = ok({"kvp", "enumerate", "--pool", "auto"});
  EXPECT_EQ(r["status_name"], "HV_S_CONT");
  ASSERT_EQ(r["entries"].size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(r["entries"][i]["key"], keys[i]);
    EXPECT_EQ(r["entries"][i]["index"], i);
    EXPECT_EQ(r["entries"][i]["value"], std::string("value of ") + keys[i]);
  }
  EXPECT_EQ(r["transactions"], 11);
  // Index 0..10, one transaction at a time.
  const auto seen = guest.seen();
  ASSERT_EQ(seen.size(), 11u);
  for (std::uint32_t i = 0; i < 11; ++i) {
    const auto* e = std::get_if<::kvp::EnumerateRequest>(&seen[i].request);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->index, i);
    EXPECT_EQ(e->pool, ::kvp::Pool::automatic);
    if (i > 0) {
      EXPECT_GT(seen[i].trans_id, seen[i - 1].trans_id);
    }
  }
}

TEST_F(KvpHostTest, TheIpOperationsCarryTheAdapterAndTheAddresses) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  json r = ok({"kvp", "ip-info", kMac, "--family", "ipv4"});
  EXPECT_EQ(r["status_name"], "HV_S_OK");
  EXPECT_EQ(r["pool"], "guest");  // OpenVMM sends the IP operations in the guest pool
  EXPECT_EQ(r["info"]["ip"], "10.0.0.4");
  EXPECT_EQ(r["info"]["gateway"], "10.0.0.1");
  EXPECT_EQ(r["info"]["family"], "ipv4");
  EXPECT_TRUE(r["info"]["dhcp"].get<bool>());
  const auto seen = guest.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header.icmsgsize, ::kvp::kIpMessageSize);
  const auto* get = std::get_if<::kvp::GetIpInfoRequest>(&seen[0].request);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->adapter_id, kMac);
  EXPECT_EQ(get->addr_family, ::kvp::kAddrFamilyIpv4);
  // An adapter the guest does not have: HV_E_FAIL, shown by name.
  EXPECT_EQ(ok({"kvp", "ip-info", "00:00:00:00:00:00"})["status_name"], "HV_E_FAIL");

  r = ok({"kvp", "set-ip-info", "{9c9e9b1a-8d56-4a1c-a8d8-8b2c4b7d0a11}", "--ip", "10.0.0.5;10.0.0.6", "--subnet",
          "255.255.255.0;255.255.255.0", "--gateway", "10.0.0.1", "--dns", "168.63.129.16", "--dhcp", "--family", "ipv4"});
  EXPECT_EQ(r["status_name"], "HV_S_OK");
  const auto set = guest.ip_info_set();
  ASSERT_TRUE(set);
  EXPECT_EQ(set->adapter_id, "{9c9e9b1a-8d56-4a1c-a8d8-8b2c4b7d0a11}");
  EXPECT_EQ(set->ip_addr, "10.0.0.5;10.0.0.6");
  EXPECT_EQ(set->sub_net, "255.255.255.0;255.255.255.0");
  EXPECT_EQ(set->gate_way, "10.0.0.1");
  EXPECT_EQ(set->dns_addr, "168.63.129.16");
  EXPECT_EQ(set->dhcp_enabled, 1u);
  EXPECT_EQ(set->addr_family, ::kvp::kAddrFamilyIpv4);
}

TEST_F(KvpHostTest, WhatCannotTravelIsRefusedBeforeAnythingIsSent) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  // 255 UTF-16 units and the NUL fill the 512-byte key; 1023 the 2048-byte value.
  ok({"kvp", "set", std::string(255, 'k'), std::string(1023, 'v')});
  EXPECT_EQ(guest.value(::kvp::Pool::external, std::string(255, 'k')), std::string(1023, 'v'));
  std::string e = error({"kvp", "set", std::string(256, 'k'), "v"});
  EXPECT_TRUE(contains(e, "does not fit")) << e;
  EXPECT_TRUE(contains(e, "hv_kvp_exchg_msg_value.key")) << e;
  e = error({"kvp", "set", "Key", std::string(1024, 'v')});
  EXPECT_TRUE(contains(e, "hv_kvp_exchg_msg_value.value")) << e;
  e = error({"kvp", "delete", std::string(300, 'k')});
  EXPECT_TRUE(contains(e, "hv_kvp_msg_delete.key")) << e;
  e = error({"kvp", "ip-info", std::string(128, 'a')});
  EXPECT_TRUE(contains(e, "adapter_id")) << e;
  EXPECT_EQ(guest.seen().size(), 1u);  // only the one that fit

  EXPECT_TRUE(contains(error({"kvp", "get", "--pool", "5", "K"}), "unknown pool \"5\""));
  EXPECT_TRUE(contains(error({"kvp", "get", "--pool", "host", "K"}), "unknown pool"));
  EXPECT_TRUE(contains(error({"kvp", "frobnicate"}), "unknown subcommand \"frobnicate\""));
  EXPECT_TRUE(contains(error({"kvp", "get"}), "expected 1 argument"));
  EXPECT_TRUE(contains(error({"kvp", "get", "K", "--type", "u32"}), "unknown option --type"));
  EXPECT_TRUE(contains(error({"kvp", "get", "K", "--timeout", "0"}), "--timeout"));
  EXPECT_TRUE(contains(error({"kvp"}), "missing the subcommand"));
  EXPECT_TRUE(contains(error({"nosuch", "status"}), "nosuch"));
  EXPECT_TRUE(contains(error({"kvp", "result", "999999999"}), "no KVP request 999999999"));
}

TEST_F(KvpHostTest, AGuestThatNeverAnswersTimesOutAndTheHostServesTheNextRequest) {
  start(kvp_config({{"timeout_ms", 10000}}));
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  guest.misbehave(Misbehave::ignore);
  const auto t0 = Clock::now();
  const std::string e = error({"kvp", "get", "Location", "--timeout", "300"});
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(300));
  EXPECT_TRUE(contains(e, "the guest did not answer get external \"Location\" within 300 ms")) << e;
  const json r = ok({"kvp", "set", "Location", "Rack 12"});
  EXPECT_EQ(r["status_name"], "HV_S_OK");
  const json n = kvp_counters();
  EXPECT_EQ(n["timeouts"], 1);
  EXPECT_EQ(n["failures"], 1);
  EXPECT_EQ(n["requests_sent"], 2);
  EXPECT_EQ(n["replies"], 1);
  EXPECT_TRUE(log_.contains("did not answer"));
}

TEST_F(KvpHostTest, ALateReplyIsNeverTakenForTheNextRequestsAnswer) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  guest.put(::kvp::Pool::external, "A", "first");
  guest.put(::kvp::Pool::external, "B", "second");
  guest.misbehave(Misbehave::delay, 1, std::chrono::milliseconds(800));
  EXPECT_TRUE(contains(error({"kvp", "get", "A", "--timeout", "200"}), "did not answer"));
  // Sent while A's answer is still on its way; B's own answer is the one used.
  const json r = ok({"kvp", "get", "B"});
  EXPECT_EQ(r["value"], "second");
  EXPECT_TRUE(wait_for([&] { return kvp_counters()["unexpected_replies"] == 1; }, kPatience)) << kvp_counters().dump();
  EXPECT_EQ(ok({"kvp", "get", "A"})["value"], "first");
}

TEST_F(KvpHostTest, AMalformedReplyIsReportedNamingTheFieldAndTheHostGoesOn) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  guest.put(::kvp::Pool::external, "Location", "Rack 12");
  guest.misbehave(Misbehave::corrupt);
  std::string e = error({"kvp", "get", "Location"});
  EXPECT_TRUE(contains(e, "malformed")) << e;
  EXPECT_TRUE(contains(e, "hv_kvp_exchg_msg_value.value_size: odd size for UTF-16 (value 3)")) << e;
  guest.misbehave(Misbehave::corrupt);
  e = error({"kvp", "set", "K", "V"});
  EXPECT_TRUE(contains(e, "icmsg_hdr.icflags")) << e;
  EXPECT_EQ(ok({"kvp", "get", "Location"})["value"], "Rack 12");
  json n = kvp_counters();
  EXPECT_EQ(n["malformed_replies"], 2);
  EXPECT_EQ(n["failures"], 2);
  // `hvsim ctl stats` shows the same counters, with the channel's dropped packets.
  const json stats = control("stats", {"kvp"});
  ASSERT_TRUE(stats["ok"].get<bool>());
  const json& d = stats["result"]["devices"][0];
  EXPECT_EQ(d["kvp_counters"]["malformed_replies"], 2);
  EXPECT_EQ(d["channels"][0]["counters"]["packets_dropped"], 2);
}

TEST_F(KvpHostTest, RequestsWaitForNegotiationOrFailSayingItDidNotFinish) {
  {
    start(kvp_config());
    KvpGuest guest(paths(), {.negotiate_delay = std::chrono::milliseconds(300)});
    // Queued before the guest answered NEGOTIATE; sent once it did.
    const json r = ok({"kvp", "set", "Early", "bird"});
    EXPECT_EQ(r["status_name"], "HV_S_OK");
    EXPECT_EQ(guest.value(::kvp::Pool::external, "Early"), "bird");
  }
  start(kvp_config());
  KvpGuest guest(paths(), {.answer_negotiate = false});
  const std::string e = error({"kvp", "set", "Early", "bird", "--timeout", "200"});
  EXPECT_TRUE(contains(e, "version negotiation did not finish")) << e;
  EXPECT_EQ(status()["negotiation"]["state"], "waiting");
  EXPECT_TRUE(guest.seen().empty());
}

TEST_F(KvpHostTest, ARescindWhileARequestWaitsFailsItSayingSo) {
  start(kvp_config());
  KvpGuest guest(paths());
  ASSERT_EQ(negotiated()["state"], "done");
  guest.misbehave(Misbehave::ignore);
  // Submit, then rescind while the guest sits on it.
  const json submitted = control("kvp", {"kvp", "get", "Location"});
  ASSERT_TRUE(submitted["ok"].get<bool>()) << submitted.dump();
  const std::string id = std::to_string(submitted["result"]["request"].get<std::uint64_t>());
  ASSERT_TRUE(wait_for([&] { return !guest.seen().empty(); }, kPatience));
  ASSERT_TRUE(control("rescind", {"kvp"})["ok"].get<bool>());
  json r;
  ASSERT_TRUE(wait_for([&] {
    r = control("kvp", {"kvp", "result", id});
    return !(r["ok"].get<bool>() && r["result"]["state"] == "pending");
  }, kPatience));
  ASSERT_FALSE(r["ok"].get<bool>()) << r.dump();
  const std::string e = r["error"];
  EXPECT_TRUE(contains(e, "device \"kvp\" was rescinded while the request waited for the guest's answer")) << e;
  EXPECT_TRUE(wait_for([&] { return guest.rescinded(); }, kPatience));
  EXPECT_TRUE(contains(error({"kvp", "status"}), "kvp"));  // the device is gone
}

// --- `hvsim ctl kvp`, the real binary -------------------------------------

using vmbus_support::run_shell;
using Shell = vmbus_support::ShellResult;

TEST(KvpCtl, HvsimCtlKvpDrivesTheHostFromTheShell) {
  TempRoot base;
  const stdfs::path config = base.path() / "vm.json";
  write_text(config, to_json(kvp_config({{"timeout_ms", 5000}})).dump());
  const stdfs::path root = base.path() / "vm";
  vmbus_support::ChildProcess hvsim({HVSIM_BINARY, "--root", root.string(), "--config", config.string()},
                                    base.path() / "hvsim.log");
  const std::string ctl = std::string(HVSIM_BINARY) + " ctl --root " + root.string() + " ";
  ASSERT_TRUE(wait_for([&] { return run_shell(ctl + "list").status == 0; }, kPatience)) << hvsim.log();

  Shell r = run_shell(ctl + "kvp kvp status");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "kvp: not open by a guest")) << r.output;
  r = run_shell(ctl + "kvp kvp get Location");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "the guest must have it open")) << r.output;

  const TreePaths paths(root);
  KvpGuest guest(paths);
  ASSERT_TRUE(wait_for([&] { return contains(run_shell(ctl + "kvp kvp status").output, "negotiation done"); }, kPatience))
      << hvsim.log();
  r = run_shell(ctl + "kvp kvp status");
  EXPECT_TRUE(contains(r.output, "framework 3.0, KVP 4.0")) << r.output;

  r = run_shell(ctl + "kvp kvp set Location 'Rack 12'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "set external \"Location\" = \"Rack 12\" (REG_SZ): HV_S_OK (0x00000000)\n");
  r = run_shell(ctl + "kvp kvp set --pool guest --type u32 Answer 42");
  EXPECT_EQ(r.status, 0) << r.output;
  r = run_shell(ctl + "kvp kvp get Location");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "get external \"Location\": HV_S_OK (0x00000000): \"Rack 12\" (REG_SZ)\n");
  r = run_shell(ctl + "kvp kvp get Nowhere");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(r.output, "get external \"Nowhere\": HV_S_CONT (0x80070103): no such key\n");
  r = run_shell(ctl + "kvp kvp enumerate --pool guest");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Answer")) << r.output;
  EXPECT_TRUE(contains(r.output, "enumerate guest: 1 entries, ended by HV_S_CONT (0x80070103)")) << r.output;
  r = run_shell(ctl + "kvp kvp enumerate --pool guest --json");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)["entries"][0]["value"], "42");
  r = run_shell(ctl + "kvp kvp get --pool nowhere K");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown pool \"nowhere\"")) << r.output;
  r = run_shell(ctl + "link kvp up --pool guest");
  EXPECT_EQ(r.status, 2) << r.output;

  guest.misbehave(Misbehave::ignore);
  r = run_shell(ctl + "kvp kvp delete Location --timeout 200");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "did not answer delete external \"Location\" within 200 ms")) << r.output;

  r = run_shell(ctl + "stats kvp");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "REQUESTS")) << r.output;
  r = run_shell(ctl + "kvp kvp status --json");
  EXPECT_EQ(r.status, 0) << r.output;
  const json s = json::parse(r.output);
  EXPECT_EQ(s["counters"]["timeouts"], 1);
  EXPECT_EQ(s["counters"]["requests_sent"], 9);  // 2 sets, 2 gets, 2 enumerations of 2, the delete
}

}  // namespace
}  // namespace hvsim::test::kvp_test
