// kvp_control: submit, then poll for the result.
#include "kvp_client.h"

#include <algorithm>
#include <thread>

namespace hvsim::kvp_host {

nlohmann::json kvp_control(const ControlSend& send, const std::vector<std::string>& args,
                           const std::function<void(std::uint64_t id)>& still_waiting,
                           std::chrono::milliseconds patience) {
  nlohmann::json response = send({{"command", "kvp"}, {"args", args}});
  const auto pending = [](const nlohmann::json& r) {
    return r.value("ok", false) && r.contains("result") && r["result"].is_object() &&
           r["result"].value("state", std::string()) == "pending" && r["result"].contains("request");
  };
  if (!pending(response)) return response;
  const std::uint64_t id = response["result"]["request"].get<std::uint64_t>();
  const std::string device = args.empty() ? std::string() : args.front();
  const nlohmann::json ask{{"command", "kvp"}, {"args", {device, "result", std::to_string(id)}}};
  const auto start = std::chrono::steady_clock::now();
  auto pause = std::chrono::milliseconds(1);
  bool told = false;
  for (;;) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
    response = send(ask);
    if (!pending(response)) return response;
    if (!told && still_waiting && std::chrono::steady_clock::now() - start >= patience) {
      still_waiting(id);
      told = true;
    }
  }
}

}  // namespace hvsim::kvp_host
