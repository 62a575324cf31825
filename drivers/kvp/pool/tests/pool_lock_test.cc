// Sharing the pool files between processes under the daemon's lock: two
// writers at once lose nothing; a writer waits for a lock another process
// holds (seen in /proc/locks, not guessed from timing), survives a signal
// while it waits, and re-reads the file once it has the lock; a reader
// without write access takes a read lock.
#include <fcntl.h>
#include <poll.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "kvp/pool/pool_store.h"
#include "pool_test_support.h"
#include "vmbus/unique_fd.h"

namespace kvp::pool::lock_test {

using test::Bytes;

// Keys a writer process adds, then the ones it deletes again.
std::string key_of(int writer, int i) { return "w" + std::to_string(writer) + "-" + std::to_string(i); }
constexpr int kKeysPerWriter = 120;
bool deleted(int i) { return i % 3 == 0; }

int writer(const std::filesystem::path& dir, int id) {
  PoolStore pools(dir);
  for (int i = 0; i < kKeysPerWriter; ++i) {
    auto r = pools.set(0, key_of(id, i), "value " + std::to_string(i));
    if (!r || r->change != Change::added) return 1;
  }
  for (int i = 0; i < kKeysPerWriter; ++i) {
    if (!deleted(i)) continue;
    auto r = pools.remove(0, key_of(id, i));
    if (!r || r->change != Change::removed) return 2;
  }
  return 0;
}

TEST(PoolLock, TwoWritersAtOnceLoseNoKeys) {
  test::TempDir dir;
  ASSERT_TRUE(PoolStore(dir.path()).create_files().ok());
  pid_t pids[2];
  for (int id = 0; id < 2; ++id) {
    pids[id] = ::fork();
    ASSERT_GE(pids[id], 0);
    if (pids[id] == 0) ::_exit(writer(dir.path(), id));
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  std::set<std::string> expected;
  for (int id = 0; id < 2; ++id) {
    for (int i = 0; i < kKeysPerWriter; ++i) {
      if (!deleted(i)) expected.insert(key_of(id, i));
    }
  }
  std::set<std::string> found;
  for (const auto& r : test::independent_read(dir.path() / ".kvp_pool_0")) {
    EXPECT_TRUE(found.insert(r.key).second) << "duplicate " << r.key;
    EXPECT_EQ(r.value, "value " + r.key.substr(r.key.find('-') + 1));
  }
  EXPECT_EQ(found, expected);
}

// Whether /proc/locks shows `pid` waiting for a lock ("->" lines are blocked requests).
bool waiting_for_lock(pid_t pid) {
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    if (line.find("->") == std::string::npos) continue;
    std::istringstream fields(line.substr(line.find("->") + 2));
    std::string kind, advisory, type;
    long owner = 0;
    if (fields >> kind >> advisory >> type >> owner && owner == pid) return true;
  }
  return false;
}

// The child's SIGUSR1 handler tells the parent it ran: the signal was
// delivered while the child slept in F_SETLKW, which returned EINTR.
int g_signal_pipe = -1;
void note_signal(int) {
  const char byte = 1;
  (void)!::write(g_signal_pipe, &byte, 1);
}

// Polls (bounded, 10 s) until the child is blocked on a lock. False if it
// exited or never blocked.
bool child_blocks(pid_t child) {
  for (int i = 0; i < 10000; ++i) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) != 0) return false;
    if (waiting_for_lock(child)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(PoolLock, WriterWaitsSurvivesASignalAndRereads) {
  if (!std::ifstream("/proc/locks")) GTEST_SKIP() << "no /proc/locks to see the waiting writer";
#if defined(__SANITIZE_THREAD__)
  // TSan defers a signal's handler until the interrupted call returns, and
  // restarts F_SETLKW meanwhile: the handler never runs while the writer waits.
  GTEST_SKIP() << "ThreadSanitizer delivers signals only outside blocking calls";
#endif
  test::TempDir dir;
  const auto file = dir.path() / ".kvp_pool_0";
  ASSERT_TRUE(PoolStore(dir.path()).set(0, "first", "1").ok());

  // This process plays the daemon: it holds the lock as kvp_acquire_lock takes it.
  vmbus::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(fd.get(), F_SETLK, &fl), 0);

  int signal_pipe[2];
  ASSERT_EQ(::pipe2(signal_pipe, O_CLOEXEC), 0);
  vmbus::UniqueFd signal_read(signal_pipe[0]);
  vmbus::UniqueFd signal_write(signal_pipe[1]);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No SA_RESTART: the signal interrupts F_SETLKW with EINTR.
    g_signal_pipe = signal_write.get();
    struct sigaction sa {};
    sa.sa_handler = note_signal;
    ::sigaction(SIGUSR1, &sa, nullptr);
    auto r = PoolStore(dir.path()).set(0, "child", "2");
    ::_exit(r.ok() && r->change == Change::added ? 0 : 1);
  }
  ASSERT_TRUE(child_blocks(child)) << "the writer did not wait for the lock";
  // Interrupt the wait; once the handler has run, the writer must wait again.
  ASSERT_EQ(::kill(child, SIGUSR1), 0);
  pollfd handled{signal_read.get(), POLLIN, 0};
  if (::poll(&handled, 1, 10000) != 1) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    FAIL() << "the writer's signal handler did not run within 10 s";
  }
  char byte = 0;
  ASSERT_EQ(::read(signal_read.get(), &byte, 1), 1);
  ASSERT_TRUE(child_blocks(child)) << "the writer gave up on EINTR instead of waiting again";

  // While it waits, "the daemon" appends a record (as kvp_update_file would).
  const Bytes record = test::daemon_record("daemon", "3");
  ASSERT_EQ(::pwrite(fd.get(), record.data(), record.size(), 2560), static_cast<ssize_t>(record.size()));
  fl.l_type = F_UNLCK;
  ASSERT_EQ(::fcntl(fd.get(), F_SETLK, &fl), 0);

  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The child read the file after it got the lock: the daemon's record survived.
  EXPECT_EQ(test::independent_read(file),
            (std::vector<test::RawRecord>{{"first", "1"}, {"daemon", "3"}, {"child", "2"}}));
}

TEST(PoolLock, ReaderWithoutWriteAccessTakesAReadLock) {
  test::TempDir dir;
  ASSERT_TRUE(PoolStore(dir.path()).set(1, "k", "v").ok());
  const auto file = dir.path() / ".kvp_pool_1";
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const int status = test::in_child([&] {
    if (::geteuid() == 0) {
      // Root opens anything: become nobody, for whom the 0644 file is read-only.
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 10;
    } else if (::chmod(file.c_str(), 0444) != 0) {
      return 11;
    }
    if (::open(file.c_str(), O_RDWR | O_CLOEXEC) >= 0) return 12;  // the test would prove nothing
    auto r = PoolStore(dir.path()).get(1, "k");
    if (!r) return 13;
    if (r->value != std::optional<std::string>("v")) return 14;
    // Writing still needs write access, and says so.
    auto w = PoolStore(dir.path()).set(1, "k", "w");
    if (w || w.error().sys_errno != EACCES) return 15;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(PoolLock, ThreadsOfOneProcessAreSerialised) {
  // fcntl locks do not exclude threads of one process; the library's mutex does.
  test::TempDir dir;
  PoolStore pools(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pools, t] {
      for (int i = 0; i < 40; ++i) EXPECT_TRUE(pools.set(2, key_of(t, i), "v").ok());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(test::independent_read(dir.path() / ".kvp_pool_2").size(), 160u);
}

}  // namespace kvp::pool::lock_test
