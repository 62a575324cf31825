// Pool operations with the daemon's semantics: add or replace, delete with
// compaction, enumerate by index, keys matched with their NUL; and the
// errors: pool numbers, limits and one over, NULs, I/O naming the file.
#include <gtest/gtest.h>

#include "kvp/pool/pool_store.h"
#include "pool_test_support.h"

namespace kvp::pool::ops_test {

using test::RawRecord;

class PoolOps : public ::testing::Test {
 protected:
  test::TempDir dir;
  PoolStore pools{dir.path()};

  std::vector<RawRecord> on_disk(int pool) const {
    return test::independent_read(dir.path() / (".kvp_pool_" + std::to_string(pool)));
  }
  Change set(int pool, std::string_view key, std::string_view value) const {
    auto r = pools.set(pool, key, value);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? r->change : Change::not_found;
  }
};

TEST_F(PoolOps, AddReplaceUnchanged) {
  EXPECT_EQ(set(0, "k", "1"), Change::added);
  EXPECT_EQ(set(0, "k", "22"), Change::replaced);
  EXPECT_EQ(set(0, "k", "22"), Change::unchanged);
  EXPECT_EQ(set(0, "other", "3"), Change::added);
  auto v = pools.get(0, "k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, std::optional<std::string>("22"));
  EXPECT_EQ(on_disk(0), (std::vector<RawRecord>{{"k", "22"}, {"other", "3"}}));
  auto missing = pools.get(0, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->value.has_value());
}

TEST_F(PoolOps, PoolsAreSeparateFiles) {
  set(0, "k", "zero");
  set(4, "k", "four");
  EXPECT_EQ(pools.get(0, "k")->value, std::optional<std::string>("zero"));
  EXPECT_EQ(pools.get(4, "k")->value, std::optional<std::string>("four"));
  EXPECT_FALSE(pools.get(1, "k")->value.has_value());
}

TEST_F(PoolOps, DeleteCompacts) {
  for (const char* k : {"a", "b", "c", "d"}) set(2, k, std::string(k) + "-value");
  auto r = pools.remove(2, "b");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->change, Change::removed);
  EXPECT_EQ(on_disk(2), (std::vector<RawRecord>{{"a", "a-value"}, {"c", "c-value"}, {"d", "d-value"}}));
  EXPECT_EQ(pools.remove(2, "b")->change, Change::not_found);
  EXPECT_EQ(pools.remove(2, "d")->change, Change::removed);
  EXPECT_EQ(pools.remove(2, "a")->change, Change::removed);
  EXPECT_EQ(on_disk(2), (std::vector<RawRecord>{{"c", "c-value"}}));
  EXPECT_EQ(pools.remove(2, "c")->change, Change::removed);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / ".kvp_pool_2"), 0u);
  EXPECT_EQ(pools.remove(3, "never")->change, Change::not_found);
}

TEST_F(PoolOps, EnumerateByIndex) {
  set(1, "x", "1");
  set(1, "y", "2");
  set(1, "z", "3");
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto e = pools.enumerate(1, i);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(e->entry.has_value());
    EXPECT_EQ(e->entry->value, std::to_string(i + 1));
  }
  EXPECT_FALSE(pools.enumerate(1, 3)->entry.has_value());
  EXPECT_FALSE(pools.enumerate(1, 0xffffffffu)->entry.has_value());
  auto listing = pools.list(1);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->entries, (std::vector<Entry>{{"x", "1"}, {"y", "2"}, {"z", "3"}}));
}

TEST_F(PoolOps, KeysMatchWithTheirNul) {
  // memcmp over key_size with the NUL: "ab" is not a prefix match of "abc".
  set(0, "abc", "3");
  set(0, "ab", "2");
  set(0, "", "empty");
  EXPECT_EQ(pools.get(0, "ab")->value, std::optional<std::string>("2"));
  EXPECT_EQ(pools.get(0, "abc")->value, std::optional<std::string>("3"));
  EXPECT_EQ(pools.get(0, "")->value, std::optional<std::string>("empty"));
  EXPECT_FALSE(pools.get(0, "a")->value.has_value());
  EXPECT_EQ(on_disk(0).size(), 3u);
}

TEST_F(PoolOps, NonAsciiKeys) {
  const std::vector<std::string> keys = {"\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87", "\xe3\x82\xad\xe3\x83\xbc",
                                         "\xf0\x9f\x94\x91", "Gr\xc3\xb6\xc3\x9f" "e"};
  for (std::size_t i = 0; i < keys.size(); ++i) set(0, keys[i], "v" + std::to_string(i));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(pools.get(0, keys[i])->value, std::optional<std::string>("v" + std::to_string(i))) << i;
  }
  const auto disk = on_disk(0);
  ASSERT_EQ(disk.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(disk[i].key, keys[i]);
  EXPECT_EQ(pools.remove(0, keys[1])->change, Change::removed);
  EXPECT_FALSE(pools.get(0, keys[1])->value.has_value());
}

TEST_F(PoolOps, PoolNumbers) {
  for (int bad : {-1, 5, 100}) {
    auto r = pools.set(bad, "k", "v");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, PoolErrc::pool_out_of_range);
    EXPECT_FALSE(pools.get(bad, "k").ok());
    EXPECT_FALSE(pools.remove(bad, "k").ok());
    EXPECT_FALSE(pools.enumerate(bad, 0).ok());
    EXPECT_FALSE(pools.list(bad).ok());
  }
  EXPECT_EQ(pools.set(5, "k", "v").error().message(), "pool 5 out of range (0..4)");
  EXPECT_EQ(pools.set(-1, "k", "v").error().message(), "pool -1 out of range (0..4)");
}

TEST_F(PoolOps, LargestKeyAndValueAndOneOver) {
  const std::string key(511, 'k');
  const std::string value(2047, 'v');
  EXPECT_EQ(set(0, key, value), Change::added);
  EXPECT_EQ(pools.get(0, key)->value, std::optional<std::string>(value));
  EXPECT_EQ(on_disk(0), (std::vector<RawRecord>{{key, value}}));

  auto long_key = pools.set(0, std::string(512, 'k'), "v");
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.error().code, PoolErrc::key_too_long);
  EXPECT_EQ(long_key.error().detail, 513u);
  EXPECT_EQ(long_key.error().message(), "key too long: 513 bytes with its NUL, a pool record holds 512");
  auto long_value = pools.set(0, "k", std::string(2048, 'v'));
  ASSERT_FALSE(long_value.ok());
  EXPECT_EQ(long_value.error().code, PoolErrc::value_too_long);
  EXPECT_EQ(long_value.error().detail, 2049u);
  EXPECT_EQ(pools.get(0, std::string(512, 'k')).error().code, PoolErrc::key_too_long);
  EXPECT_EQ(pools.remove(0, std::string(600, 'k')).error().code, PoolErrc::key_too_long);
  // A multi-byte key counts in bytes: 170 x "é" (340 bytes) fits, 256 x "é" (512) does not.
  std::string accents;
  for (int i = 0; i < 256; ++i) accents += "\xc3\xa9";
  EXPECT_EQ(pools.set(0, accents, "v").error().code, PoolErrc::key_too_long);
  EXPECT_EQ(set(0, accents.substr(0, 340), "v"), Change::added);
  EXPECT_EQ(on_disk(0).size(), 2u);
}

TEST_F(PoolOps, NulInsideKeyOrValue) {
  auto k = pools.set(0, std::string_view("a\0b", 3), "v");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().code, PoolErrc::key_contains_nul);
  EXPECT_EQ(k.error().detail, 1u);
  auto v = pools.set(0, "k", std::string_view("xy\0", 3));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, PoolErrc::value_contains_nul);
  EXPECT_EQ(v.error().detail, 2u);
  EXPECT_EQ(pools.get(0, std::string_view("\0", 1)).error().code, PoolErrc::key_contains_nul);
}

TEST_F(PoolOps, IoErrorsNameTheFile) {
  // The directory is a regular file: every open fails with ENOTDIR.
  const auto not_a_dir = dir.path() / "plain";
  test::write_file(not_a_dir, {1, 2, 3});
  PoolStore broken(not_a_dir);
  auto r = broken.set(1, "k", "v");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, PoolErrc::io_error);
  EXPECT_EQ(r.error().sys_errno, ENOTDIR);
  EXPECT_EQ(r.error().path, (not_a_dir / ".kvp_pool_1").string());
  EXPECT_EQ(r.error().message(), (not_a_dir / ".kvp_pool_1").string() + ": open: Not a directory (errno 20)");
  auto g = broken.get(1, "k");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().sys_errno, ENOTDIR);
  // The parent of the pool directory is missing: mkdir names the directory.
  auto m = PoolStore(dir.path() / "a" / "b").set(0, "k", "v");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().operation, "mkdir");
  EXPECT_EQ(m.error().sys_errno, ENOENT);
  EXPECT_EQ(m.error().path, (dir.path() / "a" / "b").string());
  // A directory where the pool file should be: reading it fails with EISDIR.
  std::filesystem::create_directory(dir.path() / ".kvp_pool_3");
  auto d = pools.set(3, "k", "v");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().sys_errno, EISDIR);
  EXPECT_EQ(d.error().path, (dir.path() / ".kvp_pool_3").string());
}

}  // namespace kvp::pool::ops_test
