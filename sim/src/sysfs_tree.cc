// SysfsTree: the kernel's attribute names and formats.
#include "sysfs_tree.h"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "fs_util.h"
#include "monitor_page.h"
#include "vmbus/hv_monitor_page.h"
#include "vmbus/ring/ring_memory.h"

namespace hvsim {
namespace {

namespace stdfs = std::filesystem;

std::string line(std::uint64_t v) { return std::to_string(v) + "\n"; }
std::string line_signed(std::int64_t v) { return std::to_string(v) + "\n"; }
std::string line(std::string_view s) { return std::string(s) + "\n"; }

// uio.c map_addr_show / map_size_show: "%pa\n", a phys_addr_t printed as
// 0x plus 16 zero-padded hex digits on 64-bit.
std::string pa(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64 "\n", v);
  return buf;
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64 "\n", v);
  return buf;
}

// hv_ringbuffer_get_debuginfo for one ring.
struct RingDebug {
  std::uint32_t read_index = 0, write_index = 0, interrupt_mask = 0;
  std::uint32_t to_read = 0, to_write = 0;
};

RingDebug debug_of(std::span<std::byte> ring) {
  RingDebug d;
  auto memory = vmbus::RingMemory::from(ring);
  if (!memory) return d;
  d.read_index = memory->load_read_index();
  d.write_index = memory->load_write_index();
  d.interrupt_mask = memory->load_interrupt_mask();
  const std::uint32_t size = memory->data_size();
  if (d.read_index < size && d.write_index < size) {
    // hv_get_ringbuffer_availbytes.
    d.to_write = d.write_index >= d.read_index ? size - (d.write_index - d.read_index) : d.read_index - d.write_index;
    d.to_read = size - d.to_write;
  }
  return d;
}

struct Rings {
  RingDebug out;  // channel->outbound: the guest's TX ring
  RingDebug in;   // channel->inbound: the guest's RX ring
};

Rings rings_of(std::span<std::byte> all) {
  if (all.empty()) return {};
  const std::size_t half = all.size() / 2;
  return {debug_of(all.first(half)), debug_of(all.subspan(half, half))};
}

// The device's in_*/out_* attributes show its primary channel (hv_dev->channel).
Rings rings_of(const Device& d) { return rings_of(ring_memory(d, *d.channels.front())); }

std::string channel_dir_name(std::uint32_t relid) { return "channels/" + std::to_string(relid); }

// Monitor page fields for a monitor id (channel_pending, channel_latency, channel_conn_id).
struct MonitorView {
  std::uint32_t pending = 0, latency = 0, conn_id = 0;
};

MonitorView monitor_of(const HostPages& pages, std::uint8_t id) {
  std::byte* page = pages.monitor_page.data();
  MonitorView v;
  v.pending = monitor::pending(page, id).load(std::memory_order_relaxed);
  v.latency = monitor::latency(page, id).load(std::memory_order_relaxed);
  v.conn_id = monitor::connection_id(page, id).load(std::memory_order_relaxed);
  return v;
}

// Map addresses: the kernel prints physical (txrx) or kernel virtual
// addresses no process can use; hvsim shows made-up ones of the same shape.
std::uint64_t map_address(unsigned map, unsigned uio) {
  switch (map) {
    case 0: return 0x0000000100000000ULL + std::uint64_t{uio} * 0x10000000ULL;  // virt_to_phys(ring)
    case 1: return 0xffff8c0000f00000ULL;                                          // vmbus_connection.int_page
    case 2: return 0xffff8c0000f01000ULL;                                          // monitor_pages[1]
    case 3: return 0xffffc90000000000ULL + std::uint64_t{uio} * 0x4000000ULL;      // vzalloc'd recv buffer
    default: return 0xffffc90002000000ULL + std::uint64_t{uio} * 0x4000000ULL;     // send buffer
  }
}

}  // namespace

void SysfsTree::create_skeleton() {
  for (const stdfs::path& p : {paths_.staging, paths_.sys, paths_.sys / "bus", paths_.sys / "bus" / "vmbus",
                               paths_.devices, paths_.drivers, paths_.sys / "class", paths_.class_uio, paths_.dev,
                               paths_.stats, paths_.stats / "devices"}) {
    fs::make_dir(p, p == paths_.staging ? 0700 : 0755);
  }
  for (std::string_view driver : kDrivers) {
    const stdfs::path dir = paths_.driver_dir(driver);
    fs::make_dir(dir);
    // bus.c bind_store/unbind_store, vmbus_drv.c new_id/remove_id: write-only.
    for (const char* file : {"bind", "unbind", "new_id", "remove_id", "uevent"}) fs::write_new(dir / file, "", 0200);
  }
}

void SysfsTree::remove_all() noexcept {
  for (const stdfs::path& p : {paths_.sys, paths_.dev, paths_.stats, paths_.staging}) fs::remove_tree(p);
  written_.clear();
}

std::vector<SysfsTree::Attribute> SysfsTree::device_attributes(const Device& d) const {
  const DeviceSpec& s = d.spec;
  const Rings r = rings_of(d);
  std::vector<Attribute> a;
  auto add = [&a](std::string path, std::string text, mode_t mode = 0444) { a.push_back({std::move(path), std::move(text), mode}); };
  // vmbus_dev_attrs.
  add("id", line(s.relid));
  add("state", line_signed(d.channel_state));
  add("class_id", line(s.class_id.braced()));
  add("device_id", line(s.instance.braced()));
  add("modalias", line("vmbus:" + modalias_hex(s.class_id)));
  add("numa_node", line(std::uint64_t{0}));  // cpu_to_node(target_cpu): one node
  add("vendor", hex(0x1414));                // PCI_VENDOR_ID_MICROSOFT
  add("device", hex(s.device_class().device_type));
  add("driver_override", line(d.driver_override.empty() ? std::string("(null)") : d.driver_override), 0644);
  std::string mapping;
  for (const auto& c : d.channels) mapping += std::to_string(c->spec.relid) + ":" + std::to_string(c->spec.cpu) + "\n";
  add("channel_vp_mapping", mapping);
  add("uevent", (d.driver.empty() ? std::string() : "DRIVER=" + d.driver + "\n") + "MODALIAS=vmbus:" + modalias_hex(s.class_id) + "\n", 0644);
  for (const auto& [prefix, ring] : {std::pair{"out_", r.out}, std::pair{"in_", r.in}}) {
    add(std::string(prefix) + "intr_mask", line(ring.interrupt_mask));
    add(std::string(prefix) + "read_index", line(ring.read_index));
    add(std::string(prefix) + "write_index", line(ring.write_index));
    add(std::string(prefix) + "read_bytes_avail", line(ring.to_read));
    add(std::string(prefix) + "write_bytes_avail", line(ring.to_write));
  }
  // vmbus_dev_attr_is_visible hides the monitor attributes without a monitor.
  if (s.monitor_id) {
    const MonitorView m = monitor_of(pages_, *s.monitor_id);
    add("monitor_id", line(*s.monitor_id));
    // monitor_pages[0] (host -> guest) is not modelled: its fields read 0.
    add("server_monitor_pending", line(std::uint64_t{0}));
    add("server_monitor_latency", line(std::uint64_t{0}));
    add("server_monitor_conn_id", line(std::uint64_t{0}));
    add("client_monitor_pending", line(m.pending));
    add("client_monitor_latency", line(m.latency));
    add("client_monitor_conn_id", line(m.conn_id));
  }
  // vmbus_chan_attrs, one directory per channel (the primary, then the
  // subchannels in offer order).
  for (const auto& c : d.channels) {
    const std::string dir = channel_dir_name(c->spec.relid) + "/";
    for (Attribute& at : channel_attributes(d, *c)) a.push_back({dir + at.path, std::move(at.text), at.mode});
  }
  return a;
}

std::vector<SysfsTree::Attribute> SysfsTree::channel_attributes(const Device& d, const ChannelRecord& c) const {
  // Each channel's own rings (channel->inbound/outbound), 0 while it has none.
  const Rings r = rings_of(ring_memory(d, c));
  const CountersSnapshot n = c.counters.snapshot();
  std::vector<Attribute> a;
  auto add = [&a](std::string path, std::string text, mode_t mode = 0444) { a.push_back({std::move(path), std::move(text), mode}); };
  add("out_mask", line(r.out.interrupt_mask));
  add("in_mask", line(r.in.interrupt_mask));
  add("read_avail", line(r.in.to_read));     // hv_get_bytes_to_read(inbound)
  add("write_avail", line(r.out.to_write));  // hv_get_bytes_to_write(outbound)
  add("cpu", line(c.spec.cpu), 0644);
  add("interrupts", line(n[Counter::interrupts]));
  add("events", line(n[Counter::signals]));
  add("intr_in_full", line(n[Counter::signals_for_space]));
  add("intr_out_empty", line(n[Counter::signals_for_data]));
  add("out_full_first", line(std::uint64_t{0}));  // guest-side counts the host cannot see
  add("out_full_total", line(std::uint64_t{0}));
  add("subchannel_id", line(c.spec.subchannel_id));
  // vmbus_chan_attr_is_visible hides these without a monitor id.
  if (c.spec.monitor_id) {
    const MonitorView m = monitor_of(pages_, *c.spec.monitor_id);
    add("pending", line(m.pending));
    add("latency", line(m.latency));
    add("monitor_id", line(*c.spec.monitor_id));
  }
  // `ring` is not an attribute written here: it is the ring file itself,
  // published by publish_ring (the primary's at uio probe, a subchannel's
  // when it is opened).
  return a;
}

std::vector<SysfsTree::Attribute> SysfsTree::stats_attributes(const Device& d) const {
  std::vector<Attribute> a;
  a.push_back({"name", line(d.spec.name), 0444});
  for (const auto& c : d.channels) {
    const std::string dir = channel_dir_name(c->spec.relid) + "/";
    for (Attribute& at : channel_stats_attributes(*c)) a.push_back({dir + at.path, std::move(at.text), at.mode});
  }
  return a;
}

std::vector<SysfsTree::Attribute> SysfsTree::channel_stats_attributes(const ChannelRecord& c) const {
  std::vector<Attribute> a;
  const CountersSnapshot n = c.counters.snapshot();
  a.push_back({"state", line(state_name(c.counters.state())), 0444});
  a.push_back({"subchannel_id", line(c.spec.subchannel_id), 0444});
  for (Counter k : all_counters()) a.push_back({std::string(counter_name(k)), line(n[k]), 0444});
  return a;
}

namespace {

// uio's `event`: how many times uio_event_notify ran (every channel's interrupts).
std::uint64_t uio_events(const Device& d) {
  std::uint64_t events = 0;
  for (const auto& c : d.channels) events += c->counters.get(Counter::interrupts);
  return events;
}

}  // namespace

std::vector<SysfsTree::Attribute> SysfsTree::uio_attributes(const Device& d) const {
  const UioBinding& u = *d.uio;
  std::vector<Attribute> a;
  a.push_back({"name", "uio_hv_generic\n", 0444});
  a.push_back({"version", "0.02.1\n", 0444});  // DRIVER_VERSION
  a.push_back({"event", line(uio_events(d)), 0444});
  a.push_back({"dev", "243:" + std::to_string(u.index) + "\n", 0444});
  struct Map {
    std::string name;
    std::uint64_t size;
  };
  std::vector<Map> maps{{"txrx_rings", u.rings.size()}, {"int_page", pages_.int_page.size()},
                        {"monitor_page", pages_.monitor_page.size()}};
  if (u.recv_buffer) {
    maps.push_back({"recv:" + std::to_string(u.recv_gpadl), u.recv_buffer.size()});
    maps.push_back({"send:" + std::to_string(u.send_gpadl), u.send_buffer.size()});
  }
  for (unsigned i = 0; i < maps.size(); ++i) {
    const std::string dir = "maps/map" + std::to_string(i) + "/";
    a.push_back({dir + "name", line(maps[i].name), 0444});  // "%s\n"
    a.push_back({dir + "addr", pa(map_address(i, u.index)), 0444});
    a.push_back({dir + "size", pa(maps[i].size), 0444});
    a.push_back({dir + "offset", "0x0\n", 0444});  // "0x%llx\n" of mem->offs
  }
  return a;
}

void SysfsTree::publish_dir(const stdfs::path& dir, const std::vector<Attribute>& attrs) {
  const stdfs::path stage = fs::unique_temp(paths_.staging, dir.filename().string());
  fs::make_dir(stage);
  for (const Attribute& at : attrs) {
    const stdfs::path p = stage / at.path;
    stdfs::create_directories(p.parent_path());
    fs::write_new(p, at.text, at.mode);
  }
  if (::rename(stage.c_str(), dir.c_str()) != 0) {
    const int e = errno;
    fs::remove_tree(stage);
    fs::throw_errno("cannot publish", dir, e);
  }
  for (const Attribute& at : attrs) written_[(dir / at.path).string()] = at.text;
}

void SysfsTree::put(const stdfs::path& path, const std::string& text, mode_t mode) {
  std::string key = path.string();
  auto it = written_.find(key);
  if (it != written_.end() && it->second == text) return;
  fs::replace(path, text, mode, paths_.staging);  // remembered only once written
  written_.insert_or_assign(std::move(key), text);
}

void SysfsTree::forget(const stdfs::path& dir) noexcept {
  const std::string prefix = dir.string() + "/";
  for (auto it = written_.begin(); it != written_.end();) {
    it = it->first.compare(0, prefix.size(), prefix) == 0 ? written_.erase(it) : std::next(it);
  }
}

void SysfsTree::add_device(const Device& d) {
  publish_dir(paths_.stats_dir(d.spec.instance), stats_attributes(d));
  publish_dir(paths_.device_dir(d.spec.instance), device_attributes(d));
}

void SysfsTree::remove_device(const Device& d) noexcept {
  for (const stdfs::path& dir : {paths_.device_dir(d.spec.instance), paths_.stats_dir(d.spec.instance)}) {
    fs::remove_tree(dir, paths_.staging);
    forget(dir);
  }
}

void SysfsTree::add_channel(const Device& d, const ChannelRecord& c) {
  const std::string name = channel_dir_name(c.spec.relid);
  publish_dir(paths_.stats_dir(d.spec.instance) / name, channel_stats_attributes(c));
  try {
    publish_dir(paths_.device_dir(d.spec.instance) / name, channel_attributes(d, c));
  } catch (...) {
    remove_channel(d, c.spec.relid);
    throw;
  }
}

void SysfsTree::remove_channel(const Device& d, std::uint32_t relid) noexcept {
  const std::string name = channel_dir_name(relid);
  for (const stdfs::path& dir : {paths_.device_dir(d.spec.instance) / name, paths_.stats_dir(d.spec.instance) / name}) {
    fs::remove_tree(dir, paths_.staging);
    forget(dir);
  }
}

void SysfsTree::publish_ring(const Device& d, std::uint32_t relid, const stdfs::path& staged) {
  const stdfs::path ring = paths_.device_dir(d.spec.instance) / channel_dir_name(relid) / "ring";
  if (::rename(staged.c_str(), ring.c_str()) != 0) fs::throw_errno("cannot publish", ring, errno);
}

void SysfsTree::remove_ring(const Device& d, std::uint32_t relid) noexcept {
  // hv_remove_ring_sysfs. The pages live on while mapped (hvsim's, a client's).
  ::unlink((paths_.device_dir(d.spec.instance) / channel_dir_name(relid) / "ring").c_str());
}

void SysfsTree::add_uio(const Device& d) {
  const std::string name = "uio" + std::to_string(d.uio->index);
  const stdfs::path device_dir = paths_.device_dir(d.spec.instance);
  // device_dir/uio/uioN appears whole: stage "uio" with uioN inside.
  std::vector<Attribute> attrs = uio_attributes(d);
  for (Attribute& at : attrs) at.path = name + "/" + at.path;
  publish_dir(device_dir / "uio", attrs);
  const stdfs::path uio_dir = device_dir / "uio" / name;
  fs::replace_symlink(uio_dir / "device", "../../../" + d.spec.instance.str(), paths_.staging);
  fs::replace_symlink(paths_.class_uio / name, "../../bus/vmbus/devices/" + d.spec.instance.str() + "/uio/" + name,
                      paths_.staging);
}

void SysfsTree::remove_uio(const Device& d) noexcept {
  ::unlink((paths_.class_uio / ("uio" + std::to_string(d.uio->index))).c_str());
  const stdfs::path dir = paths_.device_dir(d.spec.instance) / "uio";
  fs::remove_tree(dir, paths_.staging);
  forget(dir);
}

void SysfsTree::link_driver(const Device& d) {
  const stdfs::path dir = paths_.device_dir(d.spec.instance);
  fs::replace_symlink(dir / "driver", "../../drivers/" + d.driver, paths_.staging);
  fs::replace_symlink(paths_.driver_dir(d.driver) / d.spec.instance.str(), "../../devices/" + d.spec.instance.str(),
                      paths_.staging);
  refresh(d);
}

void SysfsTree::unlink_driver(const Device& d, std::string_view driver) noexcept {
  ::unlink((paths_.device_dir(d.spec.instance) / "driver").c_str());
  ::unlink((paths_.driver_dir(driver) / d.spec.instance.str()).c_str());
}

void SysfsTree::write_override(const Device& d) {
  const stdfs::path p = paths_.device_dir(d.spec.instance) / "driver_override";
  const std::string text = line(d.driver_override.empty() ? std::string("(null)") : d.driver_override);
  written_[p.string()] = text;
  fs::replace(p, text, 0644, paths_.staging);  // always: the file holds what the guest wrote
}

void SysfsTree::refresh(const Device& d) {
  const stdfs::path dir = paths_.device_dir(d.spec.instance);
  for (const Attribute& at : device_attributes(d)) {
    if (at.path == "driver_override") continue;  // written only by write_override
    put(dir / at.path, at.text, at.mode);
  }
  const stdfs::path stats = paths_.stats_dir(d.spec.instance);
  for (const Attribute& at : stats_attributes(d)) put(stats / at.path, at.text, at.mode);
  if (d.uio) {
    const stdfs::path uio = dir / "uio" / ("uio" + std::to_string(d.uio->index));
    put(uio / "event", line(uio_events(d)), 0444);
  }
}

void SysfsTree::reset_driver_file(std::string_view driver, std::string_view file) {
  fs::replace(paths_.driver_dir(driver) / std::string(file), "", 0200, paths_.staging);
}

}  // namespace hvsim
