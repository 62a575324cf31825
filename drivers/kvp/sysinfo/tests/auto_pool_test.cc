// The AUTO pool's table: the ten keys by index as hv_kvp_daemon names them,
// the end of enumeration at 10, the values a fixture os-release gives, the
// integration services version the kernel registers, and values cut to what
// the kernel sends.
#include <gtest/gtest.h>

#include "kvp/sysinfo/auto_pool.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::auto_pool_test {

TEST(AutoPool, KeysByIndexAsTheDaemonNamesThem) {
  const char* keys[] = {"FullyQualifiedDomainName", "IntegrationServicesVersion", "NetworkAddressIPv4",
                        "NetworkAddressIPv6",       "OSBuildNumber",              "OSName",
                        "OSMajorVersion",           "OSMinorVersion",             "OSVersion",
                        "ProcessorArchitecture"};
  for (std::uint32_t i = 0; i < kAutoPoolSize; ++i) EXPECT_EQ(auto_pool_key(i), keys[i]) << i;
  EXPECT_EQ(auto_pool_key(10), "");
  EXPECT_EQ(auto_pool_key(0xFFFFFFFFu), "");
}

TEST(AutoPool, EntriesWithFixtureOsReleaseAndEndAtTen) {
  test::TempDir dir;
  AutoPoolOptions options;
  options.paths = SystemPaths::under(dir.path());
  options.paths.os_release = test::fixture("os-release/debian12");
  auto pool = AutoPool::load(options);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  for (std::uint32_t i = 0; i < kAutoPoolSize; ++i) {
    auto e = pool->entry(i);
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->key, auto_pool_key(i));
  }
  EXPECT_EQ(pool->entry(5)->value, "Debian GNU/Linux");
  EXPECT_EQ(pool->entry(6)->value, "12");
  EXPECT_EQ(pool->entry(7)->value, "");
  EXPECT_EQ(pool->entry(1)->value, "3.1");  // HV_DRV_VERSION, drivers/hv/hv_kvp.c
  EXPECT_FALSE(pool->entry(10).has_value());  // HV_S_CONT
  EXPECT_FALSE(pool->entry(1000).has_value());
}

TEST(AutoPool, OptionsAndFallbacks) {
  test::TempDir dir;
  AutoPoolOptions options;
  options.paths = SystemPaths::under(dir.path());  // no release file at all
  options.integration_services_version = "Unknown version";  // the daemon's value before registration
  auto pool = AutoPool::load(options);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->values().integration_services_version, "Unknown version");
  EXPECT_EQ(pool->values().os_major_version, "");
  EXPECT_FALSE(pool->values().os_name.empty());  // uname's sysname
}

TEST(AutoPool, ValuesAreCutToWhatTheKernelSends) {
  test::TempDir dir;
  AutoPoolOptions options;
  options.paths = SystemPaths::under(dir.path());
  // 400 three-byte characters (U+20AC) = 400 UTF-16 units: no cut; 1100 are cut to 1022, whole characters.
  std::string euro;
  for (int i = 0; i < 1100; ++i) euro += "\xE2\x82\xAC";
  options.integration_services_version = euro;
  auto pool = AutoPool::load(options);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->values().integration_services_version.size(), 1022u * 3u);
  bool noted = false;
  for (const auto& n : pool->notes()) noted = noted || n.source == "IntegrationServicesVersion";
  EXPECT_TRUE(noted);
}

}  // namespace kvp::sysinfo::auto_pool_test
