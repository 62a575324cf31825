// OSName / OSMajorVersion / OSMinorVersion as hv_kvp_daemon's
// kvp_get_os_info reads them: Debian 12's os-release, the three quoting
// styles and escapes, missing fields falling back to uname's sysname,
// malformed lines, and the SuSE/redhat-release fallbacks in order.
#include <gtest/gtest.h>

#include "kvp/sysinfo/os_release.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::os_release_test {

using test::fixture;

// Paths where nothing exists, so each test adds only the files it means.
SystemPaths nowhere(const test::TempDir& dir) { return SystemPaths::under(dir.path()); }

TEST(OsRelease, Debian12) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  paths.os_release = fixture("os-release/debian12");
  const OsInfo os = read_os_info(paths, "Linux");
  EXPECT_EQ(os.name, "Debian GNU/Linux");  // NAME, not PRETTY_NAME
  EXPECT_EQ(os.major_version, "12");       // VERSION_ID, not VERSION
  EXPECT_EQ(os.minor_version, "");         // os-release never sets it
  EXPECT_EQ(os.source, paths.os_release.string());
  EXPECT_TRUE(os.notes.empty());
}

TEST(OsRelease, SingleQuotedAndUnquotedValues) {
  const OsInfo os = parse_os_release(test::read_file(fixture("os-release/quoting")), "Linux", "quoting");
  EXPECT_EQ(os.name, "Single Quoted Linux");
  EXPECT_EQ(os.major_version, "24.04");
  EXPECT_TRUE(os.notes.empty());
}

TEST(OsRelease, BackslashKeepsTheNextByteQuotesVanish) {
  const OsInfo os = parse_os_release(test::read_file(fixture("os-release/escapes")), "Linux", "escapes");
  EXPECT_EQ(os.name, "Escaped \"quote\" and \\ backslash $HOME");
  EXPECT_EQ(os.major_version, "1");
  // Quotes inside a value are dropped wherever they are, as the daemon does.
  EXPECT_EQ(parse_os_release("NAME=It's \"odd\"\n", "Linux", "x").name, "Its odd");
  // A trailing backslash ends the value.
  EXPECT_EQ(parse_os_release("NAME=abc\\", "Linux", "x").name, "abc");
}

TEST(OsRelease, MissingNameKeepsSysnameMissingVersionIsEmpty) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  paths.os_release = fixture("os-release/no-name");
  const OsInfo os = read_os_info(paths, "Linux");
  EXPECT_EQ(os.name, "Linux");
  EXPECT_EQ(os.major_version, "3.19.1");

  const OsInfo empty = parse_os_release("", "Linux", "empty");
  EXPECT_EQ(empty.name, "Linux");
  EXPECT_EQ(empty.major_version, "");
}

TEST(OsRelease, MalformedLinesAreSkippedAndNamed) {
  const OsInfo os = parse_os_release(test::read_file(fixture("os-release/malformed")), "Linux", "malformed");
  EXPECT_EQ(os.name, "Second");  // the last NAME wins; "#NAME" and " NAME" are not NAME
  // The daemon drops '\n' but keeps a CRLF file's '\r'.
  EXPECT_EQ(os.major_version, "7\r");
  ASSERT_EQ(os.notes.size(), 2u);
  EXPECT_EQ(os.notes[0].message(), "malformed:4: no '=' in the line; skipped");
  EXPECT_EQ(os.notes[1].line, 8u);  // "VERSION_ID" alone
}

TEST(OsRelease, LongLinesAreReadInFgetsPieces) {
  // fgets(buf, 512): the first 511 bytes are one line, the rest another.
  const std::string long_name = "NAME=" + std::string(600, 'x') + "\nVERSION_ID=5\n";
  const OsInfo os = parse_os_release(long_name, "Linux", "long");
  EXPECT_EQ(os.name, std::string(506, 'x'));
  EXPECT_EQ(os.major_version, "5");
  ASSERT_EQ(os.notes.size(), 2u);  // the 95-byte tail has no '=', and the long line itself
  EXPECT_NE(os.notes.back().text.find("longer than 511 bytes"), std::string::npos);
}

TEST(OsRelease, NulEndsTheLineAsInC) {
  const OsInfo os = parse_os_release(std::string("NAME=ab\0cd\n", 11), "Linux", "nul");
  EXPECT_EQ(os.name, "ab");
  ASSERT_EQ(os.notes.size(), 1u);
}

TEST(OsRelease, SuseReleaseWhenNoOsRelease) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  paths.suse_release = fixture("os-release/SuSE-release");
  paths.redhat_release = fixture("os-release/redhat-release");  // SuSE is tried first
  const OsInfo os = read_os_info(paths, "Linux");
  EXPECT_EQ(os.name, "SUSE Linux Enterprise Server 11 (x86_64)");
  EXPECT_EQ(os.major_version, "VERSION = 11");  // the whole second line
  EXPECT_EQ(os.minor_version, "PATCHLEVEL = 4");
  EXPECT_EQ(os.source, paths.suse_release.string());
}

TEST(OsRelease, RedhatReleaseWhenNoOthers) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  paths.redhat_release = fixture("os-release/redhat-release");
  const OsInfo os = read_os_info(paths, "Linux");
  EXPECT_EQ(os.name, "CentOS release 6.10 (Final)");
  EXPECT_EQ(os.major_version, "");
  EXPECT_EQ(os.minor_version, "");
}

TEST(OsRelease, OsReleaseWinsOverLegacyFiles) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  paths.os_release = fixture("os-release/debian12");
  paths.suse_release = fixture("os-release/SuSE-release");
  EXPECT_EQ(read_os_info(paths, "Linux").name, "Debian GNU/Linux");
}

TEST(OsRelease, NothingReadableFallsBackToSysname) {
  test::TempDir dir;
  const OsInfo os = read_os_info(nowhere(dir), "Linux");
  EXPECT_EQ(os.name, "Linux");
  EXPECT_EQ(os.major_version, "");
  EXPECT_EQ(os.source, "uname");
  EXPECT_TRUE(os.notes.empty());  // missing files are normal
}

TEST(OsRelease, UnreadableOsReleaseIsNamedAndSkipped) {
  test::TempDir dir;
  auto paths = nowhere(dir);
  // A directory where the file should be: opened, but unreadable.
  std::filesystem::create_directories(dir.path() / "etc/os-release");
  paths.redhat_release = fixture("os-release/redhat-release");
  const OsInfo os = read_os_info(paths, "Linux");
  // fopen worked, so the daemon stops there: no legacy fallback.
  EXPECT_EQ(os.name, "Linux");
  ASSERT_FALSE(os.notes.empty());
  EXPECT_NE(os.notes.front().message().find("etc/os-release"), std::string::npos);
}

}  // namespace kvp::sysinfo::os_release_test
