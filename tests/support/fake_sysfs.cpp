#include "support/fake_sysfs.hpp"

#include <fstream>

namespace dfota::test {

namespace fs = std::filesystem;

namespace {
void write_line(const fs::path& file, const std::string& text) { std::ofstream(file) << text << "\n"; }
} // namespace

FakeSysfs::FakeSysfs(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_ / "sys" / "class" / "tty");
  fs::create_directories(root_ / "dev");
}

void FakeSysfs::add_tty(const std::string& name, const std::string& device, const std::string& interface,
                        const fs::path& node) {
  const fs::path device_dir = root_ / "sys" / "devices" / "pci0000:00" / "usb1" / device;
  const fs::path interface_dir = device_dir / (device + ":1." + std::to_string(std::stoi(interface)));
  const fs::path port_dir = interface_dir / name;
  fs::create_directories(port_dir);
  write_line(device_dir / "idVendor", "2c7c");
  write_line(interface_dir / "bInterfaceNumber", interface);
  const fs::path class_dir = root_ / "sys" / "class" / "tty" / name;
  fs::create_directories(class_dir);
  fs::create_directory_symlink(port_dir, class_dir / "device");
  if (node.empty())
    write_line(root_ / "dev" / name, "");
  else
    fs::create_symlink(node, root_ / "dev" / name);
}

void FakeSysfs::remove_tty(const std::string& name) {
  std::error_code ec;
  fs::remove_all(root_ / "sys" / "class" / "tty" / name, ec);
  fs::remove(root_ / "dev" / name, ec);
  for (auto it = fs::recursive_directory_iterator(root_ / "sys" / "devices", ec);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == name && it->is_directory()) {
      fs::remove_all(it->path(), ec);
      break;
    }
  }
}

} // namespace dfota::test
