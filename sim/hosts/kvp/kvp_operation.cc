// Control-plane KVP operations: arguments to a kvp::Request, checked
// against the wire format before anything is queued.
#include "kvp_operation.h"

#include <array>
#include <map>
#include <optional>
#include <vector>

#include "hvsim/config.h"
#include "kvp/protocol/host.h"
#include "kvp_names.h"

namespace hvsim::kvp_host {
namespace {

// The options each subcommand takes; all take --pool and --timeout.
struct Syntax {
  std::string_view name;
  std::size_t positionals;
  std::string_view usage;
  std::array<std::string_view, 6> options;  // beyond --pool and --timeout; "" = none
};
constexpr std::string_view kValueOptions[] = {"--pool", "--type", "--family", "--ip", "--subnet",
                                              "--gateway", "--dns", "--timeout"};

const Syntax* syntax_of(std::string_view subcommand) noexcept {
  static const Syntax kSyntax[] = {
      {"set", 2, "set KEY VALUE [--pool P] [--type sz|u32|u64]", {"--type"}},
      {"get", 1, "get KEY [--pool P]", {}},
      {"delete", 1, "delete KEY [--pool P]", {}},
      {"enumerate", 0, "enumerate [--pool P]", {}},
      {"ip-info", 1, "ip-info MAC [--family ipv4|ipv6|any] [--pool P]", {"--family"}},
      {"set-ip-info", 1,
       "set-ip-info ADAPTER_ID [--ip A] [--subnet S] [--gateway G] [--dns D] [--dhcp] [--family F] [--pool P]",
       {"--ip", "--subnet", "--gateway", "--dns", "--dhcp", "--family"}},
  };
  for (const Syntax& s : kSyntax) {
    if (s.name == subcommand) return &s;
  }
  return nullptr;
}

bool takes_value(std::string_view option) noexcept {
  for (std::string_view o : kValueOptions) {
    if (o == option) return true;
  }
  return false;
}

struct Arguments {
  std::vector<std::string> positionals;
  std::map<std::string, std::string, std::less<>> options;  // "--dhcp" -> ""

  std::optional<std::string> option(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

Arguments split(const Syntax& syntax, std::span<const std::string> args) {
  Arguments a;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 3 || arg.rfind("--", 0) != 0) {
      if (arg == "--" && !options_done) {
        options_done = true;
        continue;
      }
      a.positionals.push_back(arg);
      continue;
    }
    bool allowed = arg == "--pool" || arg == "--timeout";
    for (std::string_view o : syntax.options) allowed = allowed || (!o.empty() && o == arg);
    if (!allowed) {
      throw KvpError(std::string(syntax.name) + ": unknown option " + arg + " (usage: " +
                     std::string(syntax.usage) + " [--timeout MS])");
    }
    if (a.options.count(arg) != 0) throw KvpError(std::string(syntax.name) + ": " + arg + " given twice");
    if (takes_value(arg)) {
      if (i + 1 >= args.size()) throw KvpError(std::string(syntax.name) + ": " + arg + " needs a value");
      a.options[arg] = args[++i];
    } else {
      a.options[arg] = "";
    }
  }
  if (a.positionals.size() != syntax.positionals) {
    throw KvpError(std::string(syntax.name) + ": expected " + std::to_string(syntax.positionals) +
                   " argument" + (syntax.positionals == 1 ? "" : "s") + ", got " + std::to_string(a.positionals.size()) +
                   " (usage: " + std::string(syntax.usage) + " [--timeout MS])");
  }
  return a;
}

// A decimal number 0..max, all digits.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) noexcept {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (n > (max - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

::kvp::Pool pool_option(const Arguments& a, ::kvp::Pool fallback) {
  const auto text = a.option("--pool");
  if (!text) return fallback;
  const auto pool = parse_pool(*text);
  if (!pool) throw KvpError("unknown pool \"" + *text + "\" (" + kPoolChoices + ")");
  return *pool;
}

std::uint8_t family_option(const Arguments& a) {
  const auto text = a.option("--family");
  if (!text) return ::kvp::kAddrFamilyNone;
  const auto family = parse_family(*text);
  if (!family) throw KvpError("--family \"" + *text + "\" is not ipv4, ipv6 or any");
  return *family;
}

::kvp::SetValue set_value(const Arguments& a) {
  const std::string type = a.option("--type").value_or("sz");
  const std::string& text = a.positionals[1];
  if (type == "sz") return ::kvp::SetValue::string(text);
  if (type == "u32") {
    const auto n = parse_decimal(text, 0xffffffffu);
    if (!n) throw KvpError("set: \"" + text + "\" is not a REG_U32 value (a decimal number 0..4294967295)");
    return ::kvp::SetValue::u32(static_cast<std::uint32_t>(*n));
  }
  if (type == "u64") {
    const auto n = parse_decimal(text, UINT64_MAX);
    if (!n) throw KvpError("set: \"" + text + "\" is not a REG_U64 value (a decimal number 0..18446744073709551615)");
    return ::kvp::SetValue::u64(*n);
  }
  throw KvpError("set: --type \"" + type + "\" is not sz, u32 or u64");
}

// A string as messages show it: quoted, and cut (for display only) past
// kShown bytes, saying how long it was.
constexpr std::size_t kShown = 48;
std::string in_quotes(std::string_view s) {
  if (s.size() <= kShown) return "\"" + std::string(s) + "\"";
  return "\"" + std::string(s.substr(0, kShown)) + "...\" (" + std::to_string(s.size()) + " bytes)";
}

}  // namespace

bool is_operation(std::string_view subcommand) noexcept { return syntax_of(subcommand) != nullptr; }

Operation parse_operation(std::string_view subcommand, std::span<const std::string> args,
                          std::uint32_t default_timeout_ms) {
  const Syntax* syntax = syntax_of(subcommand);
  if (syntax == nullptr) throw KvpError("\"" + std::string(subcommand) + "\" is not a KVP operation");
  const Arguments a = split(*syntax, args);

  Operation op;
  op.timeout = std::chrono::milliseconds(default_timeout_ms);
  if (const auto t = a.option("--timeout")) {
    const auto ms = parse_decimal(*t, kMaxKvpTimeoutMs);
    if (!ms || *ms == 0) throw KvpError("--timeout \"" + *t + "\" must be 1.." + std::to_string(kMaxKvpTimeoutMs) + " (ms)");
    op.timeout = std::chrono::milliseconds(*ms);
  }
  const auto& p = a.positionals;
  if (subcommand == "set") {
    op.request = ::kvp::SetRequest{pool_option(a, ::kvp::Pool::external), p[0], set_value(a)};
  } else if (subcommand == "get") {
    op.request = ::kvp::GetRequest{pool_option(a, ::kvp::Pool::external), p[0]};
  } else if (subcommand == "delete") {
    op.request = ::kvp::DeleteRequest{pool_option(a, ::kvp::Pool::external), p[0]};
  } else if (subcommand == "enumerate") {
    op.request = ::kvp::EnumerateRequest{pool_option(a, ::kvp::Pool::external), 0};
  } else if (subcommand == "ip-info") {
    op.request = ::kvp::GetIpInfoRequest{pool_option(a, ::kvp::Pool::guest), p[0], family_option(a)};
  } else {
    ::kvp::IpInfo info;
    info.adapter_id = p[0];
    info.addr_family = family_option(a);
    info.dhcp_enabled = a.option("--dhcp") ? 1 : 0;
    info.ip_addr = a.option("--ip").value_or("");
    info.sub_net = a.option("--subnet").value_or("");
    info.gate_way = a.option("--gateway").value_or("");
    info.dns_addr = a.option("--dns").value_or("");
    op.request = ::kvp::SetIpInfoRequest{pool_option(a, ::kvp::Pool::guest), std::move(info)};
  }
  op.description = describe(op.request);

  // What the host will send, built once now: a string that does not fit its
  // field (or is not valid UTF-8) is refused here, never cut.
  std::array<std::byte, ::kvp::host::kMaxRequestSize> scratch{};
  auto built = ::kvp::host::write_request(scratch, op.request, ::kvp::ic::NegotiatedVersions{});
  if (!built) {
    throw KvpError(op.description + ": does not fit the KVP message: " + built.error().message() +
                   " (keys hold 255 UTF-16 units, values 1023, IP strings their array less the NUL; hvsim does "
                   "not truncate)");
  }
  return op;
}

std::string describe(const ::kvp::Request& request) {
  struct Describe {
    std::string operator()(const ::kvp::GetRequest& r) const { return "get " + std::string(pool_name(r.pool)) + " " + in_quotes(r.key); }
    std::string operator()(const ::kvp::SetRequest& r) const {
      const std::string value = r.value.type == ::kvp::kRegSz ? in_quotes(r.value.text) : r.value.text;
      return "set " + std::string(pool_name(r.pool)) + " " + in_quotes(r.key) + " = " + value + " (" +
             value_type_name(r.value.type) + ")";
    }
    std::string operator()(const ::kvp::DeleteRequest& r) const {
      return "delete " + std::string(pool_name(r.pool)) + " " + in_quotes(r.key);
    }
    std::string operator()(const ::kvp::EnumerateRequest& r) const { return "enumerate " + std::string(pool_name(r.pool)); }
    std::string operator()(const ::kvp::GetIpInfoRequest& r) const {
      return "ip-info " + std::string(pool_name(r.pool)) + " " + in_quotes(r.adapter_id) + " " + family_name(r.addr_family);
    }
    std::string operator()(const ::kvp::SetIpInfoRequest& r) const {
      return "set-ip-info " + std::string(pool_name(r.pool)) + " " + in_quotes(r.info.adapter_id);
    }
  };
  return std::visit(Describe{}, request);
}

}  // namespace hvsim::kvp_host
