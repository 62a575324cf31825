// control_bench: what vmbusd's control plane costs, and how fast it answers.
//
// hvsim and vmbusd run as child processes; vmbusd claims hvsim's echo
// device and this process leases it through vmbusd's lease root (the SDK,
// unchanged), then drives echo traffic: bursts of 32 inband packets of 64
// bytes, one flush, every reply read. Measured in one run, alternating:
//   - the data path alone (the reference), and
//   - the data path while GetChannel is called at a sustained rate (--rate,
//     spread over --clients connections), each call's latency recorded,
//   - and, at the same rate, gRPC's health Check: the cheapest round trip
//     the same server answers, the reference for GetChannel's latency.
// Figures: echo Mpps with and without queries and their ratio; GetChannel
// and Check latency p50/p99/p99.9 in microseconds and their ratio.
//
//   control_bench                      # 5 x 1 s per phase, 1000 calls/s
//   control_bench --rate 5000 --clients 4 --json out.json
//   control_bench --quick              # a smoke run
#include <grpcpp/grpcpp.h>

#include <boost/program_options.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "control/vmbusd_child.h"
#include "health.grpc.pb.h"
#include "common/hvsim_child.h"
#include "common/json_fields.h"
#include "common/machine_info.h"
#include "common/statistics.h"
#include "vmbus/control/v1/control.grpc.pb.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/packet/builders.h"

namespace po = boost::program_options;
namespace pb = vmbus::control::v1;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string hvsim = VMBUS_HVSIM_BINARY;
  std::string vmbusd = VMBUSD_BINARY;
  unsigned duration_ms = 1000;
  unsigned repetitions = 5;
  unsigned rate = 1000;  // calls per second, all clients together
  unsigned clients = 1;
  std::string json_path;
};

// Echo traffic through the leased device for `ms`: packets echoed.
std::uint64_t echo_for(vmbus::Channel& ch, unsigned ms) {
  static std::byte payload[64];
  alignas(8) static std::byte buffer[4096];
  std::uint64_t done = 0, id = 1;
  const auto end = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < end) {
    unsigned sent = 0;
    for (; sent < 32; ++sent) {
      if (!ch.write(vmbus::packet::inband(payload, id++))) break;
    }
    if (!ch.flush()) throw std::runtime_error("flush failed");
    for (unsigned got = 0; got < sent;) {
      auto p = ch.receive(buffer);
      if (p) {
        ++got;
        continue;
      }
      if (p.error().code != vmbus::Errc::empty) throw std::runtime_error("receive: " + p.error().message());
      if (Clock::now() > end + std::chrono::seconds(5)) throw std::runtime_error("echo replies stopped coming");
    }
    (void)ch.finish_receive();
    done += sent;
  }
  return done;
}

// Calls `call` at `rate` per second over `clients` threads until `stop`;
// each call's latency in microseconds.
template <typename Call>
std::vector<double> calls_at_rate(unsigned rate, unsigned clients, const std::atomic<bool>& stop, std::atomic<std::uint64_t>& errors,
                                  Call&& call) {
  std::vector<std::vector<double>> per(clients);
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const auto period = std::chrono::nanoseconds(1'000'000'000ull * clients / rate);
      auto next = Clock::now() + period * c / clients;
      while (!stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_until(next);
        next += period;
        const auto t0 = Clock::now();
        if (!call(c)) errors.fetch_add(1);
        per[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description desc("control_bench: vmbusd's control plane against the data path it watches\nOptions");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("hvsim", po::value(&o.hvsim)->value_name("PATH"), "the hvsim binary (default: this build's)");
  desc.add_options()("vmbusd", po::value(&o.vmbusd)->value_name("PATH"), "the vmbusd binary (default: this build's)");
  desc.add_options()("duration-ms", po::value(&o.duration_ms)->value_name("MS"), "per phase and repetition (1000)");
  desc.add_options()("repetitions", po::value(&o.repetitions)->value_name("N"), "alternations of the phases (5)");
  desc.add_options()("rate", po::value(&o.rate)->value_name("N"), "calls per second, all clients (1000)");
  desc.add_options()("clients", po::value(&o.clients)->value_name("N"), "connections calling in parallel (1)");
  desc.add_options()("json", po::value(&o.json_path)->value_name("FILE"), "also write the results as JSON");
  desc.add_options()("quick", "a smoke run: 200 ms, 2 repetitions");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("quick")) {
      if (!vm.count("duration-ms")) o.duration_ms = 200;
      if (!vm.count("repetitions")) o.repetitions = 2;
    }
    if (o.duration_ms == 0 || o.duration_ms > 600000) throw po::error("--duration-ms must be 1..600000");
    if (o.repetitions == 0 || o.repetitions > 100) throw po::error("--repetitions must be 1..100");
    if (o.clients == 0 || o.clients > 64) throw po::error("--clients must be 1..64");
    if (o.rate < o.clients || o.rate > 1'000'000) throw po::error("--rate must be --clients..1000000 calls per second");
  } catch (const po::error& e) {
    std::cerr << "control_bench: " << e.what() << " (control_bench --help)\n";
    return 2;
  }

  try {
    bench::HvsimChild sim({.binary = o.hvsim, .monitor_latency_us = std::nullopt, .root_prefix = "vmbus-control-bench", .config = std::nullopt});
    bench::VmbusdChild daemon(o.vmbusd, sim.sysfs_root());
    auto admin = pb::LeaseService::NewStub(
        grpc::CreateChannel("unix:" + daemon.admin_socket().string(), grpc::InsecureChannelCredentials()));
    pb::ClaimDeviceRequest claim;
    claim.set_device("echo");
    pb::Device echo;
    grpc::ClientContext claim_ctx;
    if (auto s = admin->ClaimDevice(&claim_ctx, claim, &echo); !s.ok()) {
      throw std::runtime_error("ClaimDevice echo: " + s.error_message());
    }
    auto device = vmbus::Device::open(vmbus::describe_device(vmbus::SysfsRoot(echo.lease_root()),
                                                             vmbus::Guid::parse(echo.device_id()).value()));
    vmbus::Channel& ch = device->channel(0);

    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (unsigned c = 0; c < o.clients; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // a connection of its own
      channels.push_back(grpc::CreateCustomChannel("unix:" + daemon.reader_socket().string(),
                                                   grpc::InsecureChannelCredentials(), args));
    }
    pb::GetChannelRequest get;
    get.set_device_id(echo.device_id());
    get.set_relid(echo.relid());
    auto get_channel = [&](unsigned c) {
      auto stub = pb::DeviceService::NewStub(channels[c]);
      grpc::ClientContext ctx;
      pb::Channel reply;
      return stub->GetChannel(&ctx, get, &reply).ok() && reply.open();
    };
    auto health_check = [&](unsigned c) {
      auto stub = grpc::health::v1::Health::NewStub(channels[c]);
      grpc::ClientContext ctx;
      grpc::health::v1::HealthCheckResponse reply;
      return stub->Check(&ctx, {}, &reply).ok();
    };

    const bench::MachineInfo machine = bench::describe_machine();
    std::printf("control_bench: vmbus-sdk %s (%s)\n", machine.sdk_version.c_str(), machine.build_type.c_str());
    std::printf("machine : %s; %ld cores online\n", machine.cpu_model.c_str(), machine.cores_online);
    std::printf("phases  : %u x %u ms each, alternating; GetChannel and Check at %u calls/s over %u connection(s)\n",
                o.repetitions, o.duration_ms, o.rate, o.clients);
    (void)echo_for(ch, 200);  // warm-up

    std::vector<double> alone, queried, with_check, get_latency, check_latency;
    std::atomic<std::uint64_t> errors{0};
    double get_calls = 0, check_calls = 0;
    double get_seconds = 0, check_seconds = 0;
    const double s = o.duration_ms / 1000.0;
    for (unsigned r = 0; r < o.repetitions; ++r) {
      alone.push_back(static_cast<double>(echo_for(ch, o.duration_ms)) / s / 1e6);
      for (int which = 0; which < 2; ++which) {
        std::atomic<bool> stop{false};
        std::vector<double> lat;
        std::thread load([&] {
          lat = which == 0 ? calls_at_rate(o.rate, o.clients, stop, errors, get_channel)
                           : calls_at_rate(o.rate, o.clients, stop, errors, health_check);
        });
        const double mpps = static_cast<double>(echo_for(ch, o.duration_ms)) / s / 1e6;
        stop = true;
        load.join();
        (which == 0 ? queried : with_check).push_back(mpps);
        auto& into = which == 0 ? get_latency : check_latency;
        (which == 0 ? get_calls : check_calls) += static_cast<double>(lat.size());
        (which == 0 ? get_seconds : check_seconds) += s;
        into.insert(into.end(), lat.begin(), lat.end());
      }
    }
    const bench::Summary a = bench::summarize(alone), q = bench::summarize(queried), h = bench::summarize(with_check);
    const bench::Percentiles g = bench::percentiles(get_latency), c = bench::percentiles(check_latency);
    std::printf("\n== data path: hvsim's echo device through a vmbusd lease, 32 x 64 B per flush ==\n");
    std::printf("%-34s %10s %17s %8s\n", "phase", "Mpps", "(min..max)", "vs alone");
    auto row = [&](const char* name, const bench::Summary& x) {
      char range[40];
      std::snprintf(range, sizeof range, "(%.3f..%.3f)", x.min, x.max);
      std::printf("%-34s %10.3f %17s %7.3fx\n", name, x.median, range, a.median > 0 ? x.median / a.median : 0.0);
    };
    row("alone (reference)", a);
    row("while GetChannel is called", q);
    row("while health Check is called", h);
    std::printf("\n== control plane: latency in microseconds (%u calls/s asked) ==\n", o.rate);
    std::printf("%-12s %9s %9s %9s %9s %9s %10s\n", "call", "calls/s", "p50", "p99", "p99.9", "max", "p50 vs Check");
    std::printf("%-12s %9.0f %9.1f %9.1f %9.1f %9.1f %9.2fx\n", "GetChannel", get_calls / get_seconds, g.p50, g.p99, g.p999,
                g.max, c.p50 > 0 ? g.p50 / c.p50 : 0.0);
    std::printf("%-12s %9.0f %9.1f %9.1f %9.1f %9.1f %10s\n", "Check (ref)", check_calls / check_seconds, c.p50, c.p99,
                c.p999, c.max, "1.00x");
    std::printf("failed calls: %llu\n", static_cast<unsigned long long>(errors.load()));

    if (!o.json_path.empty()) {
      nlohmann::ordered_json j;
      j["benchmark"] = "control_bench";
      j["machine"] = bench::machine_json(machine);
      j["options"] = {{"duration_ms", o.duration_ms}, {"repetitions", o.repetitions}, {"rate", o.rate},
                      {"clients", o.clients}};
      j["echo_mpps"] = {{"alone", bench::summary_json(a)},
                        {"while_get_channel", bench::summary_json(q)},
                        {"while_health_check", bench::summary_json(h)},
                        {"ratio_get_channel_vs_alone", a.median > 0 ? q.median / a.median : 0.0}};
      j["latency_us"] = {{"get_channel", bench::percentiles_json(g)},
                         {"health_check", bench::percentiles_json(c)},
                         {"ratio_get_channel_vs_check_p50", c.p50 > 0 ? g.p50 / c.p50 : 0.0}};
      j["calls_per_second"] = {{"get_channel", get_calls / get_seconds}, {"health_check", check_calls / check_seconds}};
      j["failed_calls"] = errors.load();
      std::ofstream out(o.json_path);
      out << j.dump(2) << "\n";
      if (!out) throw std::runtime_error("cannot write " + o.json_path);
    }
    return errors.load() == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "control_bench: %s\n", e.what());
    return 1;
  }
}
