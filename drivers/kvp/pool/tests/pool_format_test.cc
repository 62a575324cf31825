// The pool files' format: what the library writes is what the documented
// layout says (checked by an independent reader), a file laid out as
// hv_kvp_daemon writes it is read as the daemon reads it, and names and
// modes are the daemon's.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "kvp/pool/pool_store.h"
#include "pool_test_support.h"

namespace kvp::pool::format_test {

using test::Bytes;
using test::RawRecord;

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(PoolFormat, WrittenRecordsReadByAnIndependentReader) {
  test::TempDir dir;
  PoolStore pools(dir.path());
  ASSERT_TRUE(pools.set(1, "Hostname", "vm-01").ok());
  ASSERT_TRUE(pools.set(1, "Empty", "").ok());
  ASSERT_TRUE(pools.set(1, "K\xc3\xa9y", "\xe2\x82\xac 5").ok());
  const auto file = dir.path() / ".kvp_pool_1";
  EXPECT_EQ(test::read_file(file).size(), 3u * 2560u);
  EXPECT_EQ(test::independent_read(file), (std::vector<RawRecord>{
                                              {"Hostname", "vm-01"},
                                              {"Empty", ""},
                                              {"K\xc3\xa9y", "\xe2\x82\xac 5"},
                                          }));
  // Our records are zero after each NUL (the daemon's may hold anything).
  const Bytes bytes = test::read_file(file);
  for (std::size_t i = 8; i < 512; ++i) EXPECT_EQ(bytes[i], 0) << i;
  for (std::size_t i = 512 + 5; i < 2560; ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(PoolFormat, NamesAndModesWhateverTheUmask) {
  test::TempDir dir;
  const auto pools_dir = dir.path() / "hyperv";
  const mode_t old = ::umask(077);
  PoolStore pools(pools_dir);
  const auto created = pools.create_files();
  ::umask(old);
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(mode_of(pools_dir), 0755u);
  for (int pool = 0; pool < 5; ++pool) {
    const auto file = pools_dir / (".kvp_pool_" + std::to_string(pool));
    EXPECT_EQ(pools.file_path(pool), file);
    EXPECT_TRUE(std::filesystem::is_regular_file(file)) << file;
    EXPECT_EQ(mode_of(file), 0644u) << file;
    EXPECT_EQ(std::filesystem::file_size(file), 0u);
  }
  EXPECT_EQ(PoolStore().directory(), std::filesystem::path("/var/lib/hyperv"));
}

TEST(PoolFormat, CreateKeepsExistingFiles) {
  test::TempDir dir;
  PoolStore pools(dir.path());
  ASSERT_TRUE(pools.set(2, "a", "b").ok());
  ASSERT_TRUE(pools.create_files().ok());
  EXPECT_EQ(test::independent_read(dir.path() / ".kvp_pool_2"), (std::vector<RawRecord>{{"a", "b"}}));
}

TEST(PoolFormat, SetCreatesTheFileWith0644) {
  test::TempDir dir;
  const mode_t old = ::umask(0077);
  auto r = PoolStore(dir.path() / "new").set(4, "k", "v");
  ::umask(old);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(mode_of(dir.path() / "new"), 0755u);
  EXPECT_EQ(mode_of(dir.path() / "new" / ".kvp_pool_4"), 0644u);
}

TEST(PoolFormat, FileLaidOutAsTheDaemonWritesIt) {
  // Three records with the daemon's leftovers after each NUL, one key in
  // Cyrillic (UTF-8, as the kernel converted it from UTF-16).
  test::TempDir dir;
  const auto file = dir.path() / ".kvp_pool_0";
  const std::string cyrillic = "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87";
  test::write_file(file, test::concat({test::daemon_record("VirtualMachineName", "web-7", 0xa5),
                                       test::daemon_record(cyrillic, "\xd0\xb7\xd0\xbd", 0x5a),
                                       test::daemon_record("Empty", "", 0xff)}));
  PoolStore pools(dir.path());
  auto all = pools.list(0);
  ASSERT_TRUE(all.ok()) << all.error().message();
  EXPECT_TRUE(all->problems.empty());
  EXPECT_EQ(all->entries, (std::vector<Entry>{{"VirtualMachineName", "web-7"},
                                               {cyrillic, "\xd0\xb7\xd0\xbd"},
                                               {"Empty", ""}}));
  auto v = pools.get(0, cyrillic);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, std::optional<std::string>("\xd0\xb7\xd0\xbd"));
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto e = pools.enumerate(0, i);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(e->entry.has_value());
    EXPECT_EQ(*e->entry, all->entries[i]);
  }
  auto end = pools.enumerate(0, 3);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->entry.has_value());
}

TEST(PoolFormat, ReplacingOneRecordLeavesTheOthersByteForByte) {
  test::TempDir dir;
  const auto file = dir.path() / ".kvp_pool_0";
  const Bytes first = test::daemon_record("a", "1", 0xa5);
  const Bytes second = test::daemon_record("b", "2", 0x5a);
  const Bytes third = test::daemon_record("c", "3", 0x77);
  test::write_file(file, test::concat({first, second, third}));
  auto r = PoolStore(dir.path()).set(0, "b", "twenty-two");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->change, Change::replaced);
  const Bytes after = test::read_file(file);
  ASSERT_EQ(after.size(), 3u * 2560u);
  EXPECT_EQ(Bytes(after.begin(), after.begin() + 2560), first);
  EXPECT_EQ(Bytes(after.begin() + 5120, after.end()), third);
  // The replaced record keeps its key bytes; the value field is rewritten whole.
  EXPECT_EQ(Bytes(after.begin() + 2560, after.begin() + 2560 + 512), Bytes(second.begin(), second.begin() + 512));
  EXPECT_EQ(test::c_string(after, 2560 + 512, 2048), "twenty-two");
}

TEST(PoolFormat, ReadingAMissingPoolCreatesNothing) {
  test::TempDir dir;
  PoolStore pools(dir.path() / "absent");
  auto l = pools.list(3);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->entries.empty());
  auto g = pools.get(3, "k");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->value.has_value());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "absent"));
}

}  // namespace kvp::pool::format_test
