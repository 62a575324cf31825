// vmbusctl: a command-line client of vmbusd's gRPC control API
// (vmbus.control.v1). Human tables by default, --json for scripts.
//
//   vmbusctl devices [--class network]     vmbusctl claim DEVICE|CLASS
//   vmbusctl device DEVICE                 vmbusctl release DEVICE
//   vmbusctl channels [DEVICE [RELID]]     vmbusctl leases [--all]
//   vmbusctl revoke LEASE [REASON]         vmbusctl watch [DEVICE...] [--initial]
//   vmbusctl health [SERVICE]             (grpc.health.v1)
// Where vmbusd is: --run-dir DIR (its reader.sock and admin.sock; default
// /run/vmbusd), or --socket PATH for one socket. Reads go to the reader
// socket, changes to the admin socket. Over TCP: --target HOST:PORT with TLS
// (--tls-ca to verify vmbusd, --tls-cert/--tls-key to be known as an
// admin), or --insecure for a plaintext port.
// Exit status: 0 done, 1 vmbusd answered with an error (printed with its
// gRPC status code), 2 a bad command line.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
#include <string>
#include <vector>

#include "ctl_output.h"
#include "health.grpc.pb.h"
#include "vmbus/control/v1/control.grpc.pb.h"

namespace po = boost::program_options;
namespace pb = vmbus::control::v1;

namespace {

struct Options {
  std::string command;
  std::vector<std::string> args;
  std::string run_dir = "/run/vmbusd";
  std::string socket;  // overrides run_dir
  std::string target;  // host:port: TCP instead
  std::string tls_ca, tls_cert, tls_key;
  bool insecure = false;
  std::vector<std::string> classes;
  bool json = false;
  bool all = false;
  bool initial = false;
  int timeout_s = 10;
};

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    default: return "ERROR";
  }
}

int fail(const grpc::Status& s, const std::string& target) {
  std::fprintf(stderr, "vmbusctl: %s: %s\n", code_name(s.error_code()), s.error_message().c_str());
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::fprintf(stderr, "vmbusctl: is vmbusd running and serving %s? (--run-dir or --socket)\n", target.c_str());
  }
  return 1;
}

int usage(const std::string& message) {
  std::fprintf(stderr, "vmbusctl: %s (vmbusctl --help)\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description desc(
      "vmbusctl: ask vmbusd about VMBus devices and channels, and claim or release devices.\n"
      "Commands: devices, device DEVICE, channels [DEVICE [RELID]], claim DEVICE|CLASS, release DEVICE,\n"
      "leases [--all], revoke LEASE [REASON], watch [DEVICE...] [--initial], health [SERVICE].\nOptions");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("run-dir", po::value(&o.run_dir)->value_name("DIR"), "vmbusd's run directory (/run/vmbusd)");
  desc.add_options()("socket", po::value(&o.socket)->value_name("PATH"), "one vmbusd socket to use for everything");
  desc.add_options()("target", po::value(&o.target)->value_name("HOST:PORT"), "vmbusd over TCP (TLS unless --insecure)");
  desc.add_options()("tls-ca", po::value(&o.tls_ca)->value_name("FILE"), "TCP: the CA that signed vmbusd's certificate");
  desc.add_options()("tls-cert", po::value(&o.tls_cert)->value_name("FILE"), "TCP: this client's certificate (admin)");
  desc.add_options()("tls-key", po::value(&o.tls_key)->value_name("FILE"), "TCP: its private key");
  desc.add_options()("insecure", "TCP: plaintext (vmbusd --insecure-tcp)");
  desc.add_options()("class", po::value(&o.classes)->value_name("NAME"), "devices: only this class (repeatable)");
  desc.add_options()("json", "print JSON (protobuf's mapping of the reply)");
  desc.add_options()("all", "leases: also the ones that ended recently");
  desc.add_options()("initial", "watch: first the bus as it is now, then what changes");
  desc.add_options()("timeout", po::value(&o.timeout_s)->value_name("S"), "per call, in seconds (10)");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&o.command))("args", po::value(&o.args));
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  po::options_description all;
  all.add(desc).add(hidden);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    o.json = vm.count("json") != 0;
    o.all = vm.count("all") != 0;
    o.initial = vm.count("initial") != 0;
    o.insecure = vm.count("insecure") != 0;
  } catch (const po::error& e) {
    return usage(e.what());
  }
  if (o.command.empty()) return usage("no command given");
  if (o.timeout_s <= 0) return usage("--timeout must be a positive number of seconds");

  const bool changes = o.command == "claim" || o.command == "release" || o.command == "revoke";
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  std::string socket, target;
  if (!o.target.empty()) {
    socket = target = o.target;
    if (!o.insecure) {
      auto read = [](const std::string& f) {
        std::ifstream in(f);
        std::stringstream s;
        s << in.rdbuf();
        if (!in) throw std::invalid_argument("cannot read " + f);
        return s.str();
      };
      grpc::SslCredentialsOptions tls;
      try {
        if (!o.tls_ca.empty()) tls.pem_root_certs = read(o.tls_ca);
        if (!o.tls_cert.empty() || !o.tls_key.empty()) {
          if (o.tls_cert.empty() || o.tls_key.empty()) throw std::invalid_argument("--tls-cert and --tls-key go together");
          tls.pem_cert_chain = read(o.tls_cert);
          tls.pem_private_key = read(o.tls_key);
        }
      } catch (const std::invalid_argument& e) {
        return usage(e.what());
      }
      credentials = grpc::SslCredentials(tls);
    }
  } else {
    if (o.insecure || !o.tls_ca.empty() || !o.tls_cert.empty()) return usage("--insecure and --tls-* go with --target");
    socket = !o.socket.empty() ? o.socket : o.run_dir + (changes ? "/admin.sock" : "/reader.sock");
    target = "unix:" + socket;
  }
  auto channel = grpc::CreateChannel(target, credentials);
  auto devices = pb::DeviceService::NewStub(channel);
  auto leases = pb::LeaseService::NewStub(channel);
  grpc::ClientContext ctx;
  // A watch runs until interrupted; every other call has a deadline.
  if (o.command != "watch") ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(o.timeout_s));
  auto need = [&](std::size_t n, const char* what) {
    if (o.args.size() != n) throw std::invalid_argument(o.command + " takes " + what);
  };

  try {
    if (o.command == "devices") {
      need(0, "no arguments (--class filters)");
      pb::ListDevicesRequest req;
      for (const auto& c : o.classes) req.add_class_names(c);
      pb::ListDevicesResponse resp;
      if (auto s = devices->ListDevices(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) {
        std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      } else {
        vmbusctl::print_devices(resp.devices());
        for (const auto& p : resp.problems()) std::fprintf(stderr, "vmbusctl: unreadable device: %s\n", p.c_str());
      }
    } else if (o.command == "device") {
      need(1, "one DEVICE (an instance GUID)");
      pb::GetDeviceRequest req;
      req.set_device_id(o.args[0]);
      pb::Device resp;
      if (auto s = devices->GetDevice(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      else vmbusctl::print_device(resp);
    } else if (o.command == "channels") {
      if (o.args.size() > 2) throw std::invalid_argument("channels takes [DEVICE [RELID]]");
      if (o.args.empty()) {
        // Every device's channels, as lsvmbus -vv lists the bus (one call per
        // device: a ClientContext serves one call).
        pb::ListDevicesResponse devs;
        if (auto s = devices->ListDevices(&ctx, pb::ListDevicesRequest(), &devs); !s.ok()) return fail(s, socket);
        pb::ListChannelsResponse every;
        for (const pb::Device& d : devs.devices()) {
          grpc::ClientContext each;
          each.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(o.timeout_s));
          pb::ListChannelsRequest req;
          req.set_device_id(d.device_id());
          req.set_include_ring_state(true);
          pb::ListChannelsResponse resp;
          if (auto s = devices->ListChannels(&each, req, &resp); !s.ok()) {
            // Rescinded between the two calls: it is simply gone.
            if (s.error_code() == grpc::StatusCode::NOT_FOUND) continue;
            return fail(s, socket);
          }
          if (o.json) {
            for (const pb::Channel& c : resp.channels()) *every.add_channels() = c;
            continue;
          }
          std::printf("%sVMBUS ID %s  %s  %s\n", &d == &devs.devices(0) ? "" : "\n", d.device_id().c_str(),
                      d.class_name().c_str(), vmbusctl::device_state_text(d).c_str());
          vmbusctl::print_channels(resp.channels());
        }
        if (o.json) std::printf("%s\n", vmbusctl::to_json(every).c_str());
      } else if (o.args.size() == 2) {
        pb::GetChannelRequest req;
        req.set_device_id(o.args[0]);
        try {
          const unsigned long relid = std::stoul(o.args[1]);
          if (relid > 0xffffffffUL) throw std::out_of_range("relid");
          req.set_relid(static_cast<std::uint32_t>(relid));
        } catch (const std::exception&) {
          throw std::invalid_argument("RELID '" + o.args[1] + "' is not a channel number");
        }
        pb::Channel resp;
        if (auto s = devices->GetChannel(&ctx, req, &resp); !s.ok()) return fail(s, socket);
        if (o.json) {
          std::printf("%s\n", vmbusctl::to_json(resp).c_str());
        } else {
          google::protobuf::RepeatedPtrField<pb::Channel> one;
          *one.Add() = resp;
          vmbusctl::print_channels(one);
        }
      } else {
        pb::ListChannelsRequest req;
        req.set_device_id(o.args[0]);
        req.set_include_ring_state(true);
        pb::ListChannelsResponse resp;
        if (auto s = devices->ListChannels(&ctx, req, &resp); !s.ok()) return fail(s, socket);
        if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
        else vmbusctl::print_channels(resp.channels());
      }
    } else if (o.command == "claim") {
      need(1, "one DEVICE: an instance GUID or a class such as network");
      pb::ClaimDeviceRequest req;
      req.set_device(o.args[0]);
      pb::Device resp;
      if (auto s = leases->ClaimDevice(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      else std::printf("claimed %s (%s, %s)\n", resp.device_id().c_str(), resp.class_name().c_str(), resp.uio_name().c_str());
    } else if (o.command == "release") {
      need(1, "one DEVICE (an instance GUID)");
      pb::ReleaseDeviceRequest req;
      req.set_device_id(o.args[0]);
      pb::ReleaseDeviceResponse resp;
      if (auto s = leases->ReleaseDevice(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) {
        std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      } else {
        std::printf("released %s (driver now: %s)\n", resp.device().device_id().c_str(),
                    resp.device().driver().empty() ? "none" : resp.device().driver().c_str());
      }
    } else if (o.command == "leases") {
      if (o.args.size() > 1) throw std::invalid_argument("leases takes [DEVICE]");
      pb::ListLeasesRequest req;
      if (!o.args.empty()) req.set_device_id(o.args[0]);
      req.set_include_ended(o.all);
      pb::ListLeasesResponse resp;
      if (auto s = leases->ListLeases(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      else vmbusctl::print_leases(resp.leases());
    } else if (o.command == "revoke") {
      if (o.args.empty() || o.args.size() > 2) throw std::invalid_argument("revoke takes LEASE [REASON]");
      pb::RevokeLeaseRequest req;
      req.set_lease_id(o.args[0]);
      if (o.args.size() == 2) req.set_reason(o.args[1]);
      pb::Lease resp;
      if (auto s = leases->RevokeLease(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      else std::printf("revoked lease %s of %s (pid %d)\n", resp.lease_id().c_str(), resp.device_id().c_str(), resp.peer().pid());
    } else if (o.command == "watch") {
      pb::WatchEventsRequest req;
      for (const auto& d : o.args) req.add_device_ids(d);
      req.set_send_initial_state(o.initial);
      auto reader = devices->WatchEvents(&ctx, req);
      pb::Event e;
      while (reader->Read(&e)) {
        if (o.json) {
          std::printf("%s\n", vmbusctl::to_json_line(e).c_str());
        } else {
          vmbusctl::print_event(e);
        }
        std::fflush(stdout);
      }
      if (auto s = reader->Finish(); !s.ok()) return fail(s, socket);
    } else if (o.command == "health") {
      if (o.args.size() > 1) throw std::invalid_argument("health takes [SERVICE], e.g. vmbus.control.v1.DeviceService");
      // The standard grpc.health.v1 check that vmbusd serves on every socket.
      grpc::health::v1::HealthCheckRequest req;
      if (!o.args.empty()) req.set_service(o.args[0]);
      grpc::health::v1::HealthCheckResponse resp;
      auto health = grpc::health::v1::Health::NewStub(channel);
      if (auto s = health->Check(&ctx, req, &resp); !s.ok()) return fail(s, socket);
      const bool serving = resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      if (o.json) std::printf("%s\n", vmbusctl::to_json(resp).c_str());
      else std::printf("%s: %s\n", socket.c_str(), serving ? "SERVING" : "NOT_SERVING");
      if (!serving) return 1;
    } else {
      return usage("unknown command '" + o.command + "'");
    }
  } catch (const std::invalid_argument& e) {
    return usage(e.what());
  }
  return 0;
}
