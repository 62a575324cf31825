// The real hvsim binary as a separate process, driven with `hvsim ctl`, as a
// user or CI script would.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "hvsim/control_client.h"
#include "sim_test_support.h"

extern char** environ;

namespace hvsim::test {
namespace {

using nlohmann::json;

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a command through the shell; stdout and stderr together.
CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) r.out.append(buffer, n);
  const int s = ::pclose(p);
  r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  return r;
}

class HvsimProcess {
 public:
  explicit HvsimProcess(std::vector<std::string> args) {
    args.insert(args.begin(), HVSIM_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, HVSIM_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~HvsimProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(log_.c_str());
  }
  // SIGTERM, then the exit status.
  int terminate() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  int wait_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string log() const { return read_text(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_ = "/dev/shm/hvsim-process-test-" + std::to_string(::getpid()) + ".log";
};

TEST(HvsimProcess, RunsUntilSigtermControlledByCtl) {
  TempRoot base;
  const stdfs::path root = base.path() / "vm";  // hvsim creates it, and removes it
  HvsimProcess hvsim({"--root", root.string(), "--monitor-latency-us", "20"});
  const std::string ctl = std::string(HVSIM_BINARY) + " ctl --root " + root.string() + " ";
  ASSERT_TRUE(wait_for([&] { return run(ctl + "list").status == 0; })) << hvsim.log();

  CommandResult r = run(ctl + "list --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const json list = json::parse(r.out);
  ASSERT_EQ(list["devices"].size(), 6u);
  EXPECT_EQ(list["devices"][4]["name"], "eth0");
  EXPECT_EQ(list["devices"][4]["driver"], "hv_netvsc");

  r = run(ctl + "list");
  EXPECT_NE(r.out.find("NAME"), std::string::npos);
  EXPECT_NE(r.out.find("hv_netvsc"), std::string::npos);

  r = run(ctl + "offer echo");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("echo41"), std::string::npos) << r.out;
  r = run(ctl + "offer '{\"class\": \"echo\", \"name\": \"e9\", \"driver\": \"uio_hv_generic\"}' --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["device"]["uio"], "uio0");
  EXPECT_TRUE(present(root / "dev" / "uio0"));

  // The raw endpoint works against a separate process too.
  auto client = EndpointClient::open(root / "dev" / "uio0");
  ASSERT_TRUE(client) << hvsim.log();
  const auto payload = bytes_of("across processes");
  ASSERT_TRUE(client->tx().write(vmbus::packet::inband(payload, 5)).ok());
  ASSERT_TRUE(client->tx().commit());
  client->signal(42, std::nullopt);  // e9 has no monitor id: irqcontrol signals
  alignas(8) std::byte buffer[256];
  auto p = client->read_packet(buffer);
  ASSERT_TRUE(p) << hvsim.log();
  EXPECT_EQ(text_of(p->payload, payload.size()), "across processes");

  r = run(ctl + "stats e9 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["devices"][0]["channels"][0]["counters"]["packets_out"], 1);
  r = run(ctl + "stats");
  EXPECT_NE(r.out.find("UNNECESSARY"), std::string::npos) << r.out;

  r = run(ctl + "rescind e9");
  ASSERT_EQ(r.status, 0) << r.out;
  auto m = receive(client->socket());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, static_cast<std::uint32_t>(ep::MessageType::rescinded));
  EXPECT_FALSE(present(root / "dev" / "uio0"));

  r = run(ctl + "rescind e9");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no device \"e9\""), std::string::npos) << r.out;
  r = run(ctl + "frobnicate");
  EXPECT_EQ(r.status, 1);
  r = run(ctl);
  EXPECT_EQ(r.status, 2);

  EXPECT_EQ(hvsim.terminate(), 0) << hvsim.log();
  EXPECT_FALSE(present(root)) << "hvsim must remove what it created";
  r = run(ctl + "list");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.out.find("is `hvsim --root"), std::string::npos) << r.out;
}

TEST(HvsimProcess, BadConfigFailsNamingTheField) {
  TempRoot base;
  const stdfs::path config = base.path() / "bad.json";
  write_text(config, R"({"devices": [{"class": "echo", "monitor_id": 300}]})");
  HvsimProcess hvsim({"--root", (base.path() / "vm").string(), "--config", config.string()});
  EXPECT_EQ(hvsim.wait_exit(), 1);
  EXPECT_NE(hvsim.log().find("devices[0]: monitor_id: 300 is above the maximum 127"), std::string::npos) << hvsim.log();
  EXPECT_FALSE(present(base.path() / "vm"));
}

TEST(HvsimProcess, PrintsTheDefaultConfigAndHelp) {
  CommandResult r = run(std::string(HVSIM_BINARY) + " --print-default-config");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(json::parse(r.out)["devices"].size(), 6u);
  r = run(std::string(HVSIM_BINARY) + " --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("hvsim ctl"), std::string::npos);
  r = run(std::string(HVSIM_BINARY));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("--root DIR is required"), std::string::npos);
}

}  // namespace
}  // namespace hvsim::test
