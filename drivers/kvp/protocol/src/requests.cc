// The operation and pool of a decoded request.
#include "kvp/protocol/requests.h"

namespace kvp {
namespace {

constexpr Operation operation_for(const GetRequest&) noexcept { return Operation::get; }
constexpr Operation operation_for(const SetRequest&) noexcept { return Operation::set; }
constexpr Operation operation_for(const DeleteRequest&) noexcept { return Operation::delete_key; }
constexpr Operation operation_for(const EnumerateRequest&) noexcept { return Operation::enumerate; }
constexpr Operation operation_for(const GetIpInfoRequest&) noexcept { return Operation::get_ip_info; }
constexpr Operation operation_for(const SetIpInfoRequest&) noexcept { return Operation::set_ip_info; }

}  // namespace

Operation operation_of(const Request& request) noexcept {
  return std::visit([](const auto& r) { return operation_for(r); }, request);
}

Pool pool_of(const Request& request) noexcept {
  return std::visit([](const auto& r) { return r.pool; }, request);
}

}  // namespace kvp
