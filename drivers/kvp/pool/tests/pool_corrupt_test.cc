// Damaged pool files: read, not refused; every problem reported with the
// file, the record and the offset; whole records kept; a trailing partial
// record dropped only by a rewrite, and reported as dropped.
#include <gtest/gtest.h>

#include "kvp/pool/pool_store.h"
#include "pool_test_support.h"

namespace kvp::pool::corrupt_test {

using test::Bytes;
using test::RawRecord;

class PoolCorrupt : public ::testing::Test {
 protected:
  test::TempDir dir;
  PoolStore pools{dir.path()};
  std::filesystem::path file = dir.path() / ".kvp_pool_1";
};

TEST_F(PoolCorrupt, TruncatedFileKeepsTheWholeRecords) {
  Bytes partial = test::daemon_record("cut", "off");
  partial.resize(100);
  test::write_file(file, test::concat({test::daemon_record("a", "1"), test::daemon_record("b", "2"), partial}));

  auto l = pools.list(1);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->entries, (std::vector<Entry>{{"a", "1"}, {"b", "2"}}));
  ASSERT_EQ(l->problems.size(), 1u);
  const FileProblem& p = l->problems[0];
  EXPECT_EQ(p.kind, FileProblem::Kind::partial_record);
  EXPECT_EQ(p.path, file.string());
  EXPECT_EQ(p.record, 2u);
  EXPECT_EQ(p.offset, 5120u);
  EXPECT_EQ(p.bytes, 100u);
  EXPECT_FALSE(p.dropped);
  EXPECT_EQ(p.message(), file.string() +
                             ": the file ends 100 bytes into record 2 (offset 5120; records are 2560 bytes); "
                             "those bytes are ignored");
  EXPECT_EQ(pools.get(1, "b")->value, std::optional<std::string>("2"));
  EXPECT_EQ(pools.get(1, "b")->problems.size(), 1u);
  // Reads leave the file alone.
  EXPECT_EQ(std::filesystem::file_size(file), 5220u);
}

TEST_F(PoolCorrupt, RewriteDropsThePartialRecordAndSaysSo) {
  Bytes partial(700, 0x41);
  test::write_file(file, test::concat({test::daemon_record("a", "1"), partial}));
  // Nothing changes: no rewrite, nothing dropped.
  auto same = pools.set(1, "a", "1");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->change, Change::unchanged);
  ASSERT_EQ(same->problems.size(), 1u);
  EXPECT_FALSE(same->problems[0].dropped);
  EXPECT_EQ(std::filesystem::file_size(file), 2560u + 700u);

  auto added = pools.set(1, "b", "2");
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(added->change, Change::added);
  ASSERT_EQ(added->problems.size(), 1u);
  EXPECT_TRUE(added->problems[0].dropped);
  EXPECT_NE(added->problems[0].message().find("dropped when the file was rewritten"), std::string::npos);
  EXPECT_EQ(test::independent_read(file), (std::vector<RawRecord>{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(pools.list(1)->problems.empty());
}

TEST_F(PoolCorrupt, DeleteAlsoDropsThePartialRecordWithAReport) {
  test::write_file(file, test::concat({test::daemon_record("a", "1"), test::daemon_record("b", "2"), Bytes(9, 1)}));
  auto r = pools.remove(1, "a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->change, Change::removed);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_TRUE(r->problems[0].dropped);
  EXPECT_EQ(test::independent_read(file), (std::vector<RawRecord>{{"b", "2"}}));
}

TEST_F(PoolCorrupt, OnlyAPartialRecord) {
  test::write_file(file, Bytes(100, 0));
  auto l = pools.list(1);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->entries.empty());
  ASSERT_EQ(l->problems.size(), 1u);
  EXPECT_EQ(l->problems[0].record, 0u);
  EXPECT_EQ(l->problems[0].bytes, 100u);
}

TEST_F(PoolCorrupt, KeyWithoutNulIsSkippedReportedAndKept) {
  Bytes bad = test::daemon_record("x", "y");
  std::fill(bad.begin(), bad.begin() + 512, 'K');
  test::write_file(file, test::concat({test::daemon_record("a", "1"), bad, test::daemon_record("c", "3")}));

  auto l = pools.list(1);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->entries, (std::vector<Entry>{{"a", "1"}, {"c", "3"}}));
  ASSERT_EQ(l->problems.size(), 1u);
  EXPECT_EQ(l->problems[0].kind, FileProblem::Kind::key_not_terminated);
  EXPECT_EQ(l->problems[0].record, 1u);
  EXPECT_EQ(l->problems[0].offset, 2560u);
  EXPECT_EQ(l->problems[0].message(), file.string() + ": record 1 (offset 2560): the key has no NUL in its 512 "
                                                      "bytes; the record is skipped and kept as it is");
  // Enumeration counts readable records only.
  EXPECT_EQ(pools.enumerate(1, 1)->entry, std::optional<Entry>(Entry{"c", "3"}));
  EXPECT_FALSE(pools.enumerate(1, 2)->entry.has_value());
  // A key of 512 'K's cannot even be asked for (511 bytes at most).
  EXPECT_EQ(pools.get(1, std::string(511, 'K'))->value, std::nullopt);

  // A rewrite keeps the damaged record as it is.
  ASSERT_EQ(pools.set(1, "d", "4")->change, Change::added);
  const Bytes after = test::read_file(file);
  ASSERT_EQ(after.size(), 4u * 2560u);
  EXPECT_EQ(Bytes(after.begin() + 2560, after.begin() + 5120), bad);
  ASSERT_EQ(pools.remove(1, "a")->change, Change::removed);
  const Bytes compacted = test::read_file(file);
  ASSERT_EQ(compacted.size(), 3u * 2560u);
  EXPECT_EQ(Bytes(compacted.begin(), compacted.begin() + 2560), bad);
}

TEST_F(PoolCorrupt, ValueWithoutNul) {
  Bytes bad = test::daemon_record("k", "");
  std::fill(bad.begin() + 512, bad.end(), 'V');
  test::write_file(file, test::concat({test::daemon_record("a", "1"), bad}));

  auto l = pools.list(1);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->entries, (std::vector<Entry>{{"a", "1"}}));
  ASSERT_EQ(l->problems.size(), 1u);
  EXPECT_EQ(l->problems[0].kind, FileProblem::Kind::value_not_terminated);
  EXPECT_EQ(l->problems[0].record, 1u);

  // Asking for that key is an error naming the file and the record.
  auto g = pools.get(1, "k");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, PoolErrc::corrupt_record);
  EXPECT_EQ(g.error().detail, 1u);
  EXPECT_EQ(g.error().message(), file.string() + ": record 1 has the key but its value has no NUL in 2048 bytes");

  // Setting it repairs the record in place (the daemon's modify case).
  auto s = pools.set(1, "k", "fixed");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->change, Change::replaced);
  EXPECT_EQ(s->problems.size(), 1u);
  EXPECT_EQ(test::independent_read(file), (std::vector<RawRecord>{{"a", "1"}, {"k", "fixed"}}));
  EXPECT_TRUE(pools.list(1)->problems.empty());
}

TEST_F(PoolCorrupt, EmptyFileIsAnEmptyPool) {
  test::write_file(file, {});
  auto l = pools.list(1);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->entries.empty());
  EXPECT_TRUE(l->problems.empty());
}

}  // namespace kvp::pool::corrupt_test
