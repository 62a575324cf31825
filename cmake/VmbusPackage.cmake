# Debian packages of the project, built by CPack from the install components
# (cmake/VmbusInstall.cmake): `scripts/package` builds them, docs/install.md
# says what each holds.
#
#   component  package          what
#   runtime    libvmbus-c1      libvmbus_c.so.1, the C ABI
#   dev        libvmbus-dev     headers, static C++ libraries, CMake and pkg-config files
#   daemon     vmbusd           vmbusd, vmbusctl, the .proto, the systemd unit, the vmbus group
#   tools      vmbus-tools      vmbus-kvp
#   sim        hvsim            the simulated Hyper-V host and its DPDK shims
#   python     python3-vmbus    the vmbus Python package (bindings and gRPC client)
#
# Depends: dpkg-shlibdeps works out the shared libraries each program needs
# (libgrpc++1.51, libboost-program-options1.74.0, ...); the packages' own
# dependencies on each other are exact versions. Binaries are stripped.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vmbus-sdk)
set(CPACK_PACKAGE_VENDOR "vmbus-sdk")
# Debian's Maintainer field: who answers for a package built here. The
# default names no real address; a distributor sets its own.
set(VMBUS_PACKAGE_MAINTAINER "vmbus-sdk maintainers <vmbus-sdk@localhost>" CACHE STRING
  "The Maintainer field of the Debian packages (scripts/package)")
set(CPACK_PACKAGE_CONTACT "${VMBUS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "User-space VMBus drivers for Hyper-V Linux guests")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# A shlibs file for libvmbus_c.so.1 (programs built against it depend on
# libvmbus-c1 of at least this version) and its ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(_packages runtime dev)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "The C ABI of the VMBus user-space SDK
 libvmbus_c.so: opaque handles for bus, device, channel, netvsc port and KVP
 service over the C++ SDK, for appliances written in C.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libvmbus-c1)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_DEV_DESCRIPTION "Development files of the VMBus user-space SDK
 Headers and static libraries of the SDK (discovery, claims, channels, rings,
 packet builders), the netvsc poll-mode driver and the KVP service; the C
 ABI's header; find_package(vmbus CONFIG) and pkg-config files.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvmbus-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)

if(TARGET vmbusd)
  list(APPEND _packages daemon)
  set(CPACK_COMPONENT_DAEMON_DESCRIPTION "VMBus device daemon and its control client
 vmbusd claims VMBus devices for user space (uio_hv_generic), leases their
 channels to driver processes and serves a gRPC control API; vmbusctl is its
 command-line client. Includes the systemd unit and the vmbus group.")
  set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME vmbusd)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION admin)
  # Maintainer scripts and conffiles (packaging/debian/vmbusd/).
  set(_dir ${PROJECT_SOURCE_DIR}/packaging/debian/vmbusd)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA ${_dir}/postinst ${_dir}/prerm ${_dir}/postrm ${_dir}/conffiles)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endif()

list(APPEND _packages tools)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "VMBus user-space tools
 vmbus-kvp: the Hyper-V key/value exchange (KVP) service and its pools from
 the command line, on the user-space SDK.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME vmbus-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION admin)

if(TARGET hvsim)
  list(APPEND _packages sim)
  set(CPACK_COMPONENT_SIM_DESCRIPTION "Simulated Hyper-V host for user-space VMBus drivers
 hvsim offers VMBus devices (echo, a synthetic NIC, KVP) through the same
 sysfs and uio ABI as uio_hv_generic, in user space, and the LD_PRELOAD
 shims that run unmodified DPDK on it.")
  set(CPACK_DEBIAN_SIM_PACKAGE_NAME hvsim)
  set(CPACK_DEBIAN_SIM_PACKAGE_SECTION devel)
endif()

if(TARGET vmbus_python_ext)
  list(APPEND _packages python)
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION "Python bindings of the VMBus user-space SDK
 The vmbus package: discovery, devices and channels, netvsc frames, KVP pools,
 and the gRPC client of vmbusd's control API.")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-vmbus)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  # What dpkg-shlibdeps cannot see: the interpreter and the gRPC client's modules.
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3 (>= 3.11), python3 (<< 3.12), python3-grpcio, python3-protobuf")
endif()

set(CPACK_COMPONENTS_ALL ${_packages})
include(CPack)
