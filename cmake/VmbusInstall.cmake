# What `cmake --install` puts where (docs/install.md), by component:
#   dev      headers, the static C++ libraries, libvmbus_c.so's namelink, the
#            CMake package (find_package(vmbus CONFIG): vmbus::sdk, vmbus::netvsc,
#            vmbus::kvp, vmbus::c, ...) and the pkg-config files
#   runtime  libvmbus_c.so.1 (the C ABI)
#   tools    vmbus-kvp
#   daemon   vmbusd (sbin), vmbusctl, the gRPC .proto, vmbusd's systemd unit,
#            its sysusers.d snippet (the vmbus group) and its config file
#   sim      hvsim and the LD_PRELOAD shims that run unmodified DPDK on it
# `cmake --install BUILD --component dev` installs one of them.
#
# Paths follow GNUInstallDirs (Debian's multiarch libdir with prefix /usr).
# The files that name absolute paths (pkg-config files, the systemd unit) are
# written at install time, so `cmake --install --prefix DIR` gives files that
# name DIR (cmake/VmbusInstallTime.cmake); DESTDIR is honoured as usual.
include(CMakePackageConfigHelpers)

set(VMBUS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/vmbus" CACHE STRING
  "Where vmbusConfig.cmake goes (relative: under the prefix)")
set(VMBUS_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
  "Where the vmbus-*.pc files go (relative: under the prefix)")
set(VMBUS_INSTALL_PRIVATELIBDIR "${CMAKE_INSTALL_LIBDIR}/vmbus" CACHE STRING
  "Where hvsim's LD_PRELOAD shims go (relative: under the prefix)")
set(VMBUS_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where vmbusd.service goes (relative: under the prefix; a Debian package gives /lib/systemd/system)")
set(VMBUS_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
  "Where the sysusers.d snippet creating the vmbus group goes (relative: under the prefix)")

# --- Libraries and their headers ------------------------------------------
# The SDK, the drivers and the protocol and helper libraries they link (a
# static library's dependencies must be installed and exported with it).
# Every one keeps its public headers in <source dir>/include.
set(_vmbus_static_libs vmbus_sdk netvsc_protocol netvsc kvp_protocol kvp_pool kvp_sysinfo kvp)
set(_vmbus_header_libs ${_vmbus_static_libs})
if(TARGET vmbus_c)
  list(APPEND _vmbus_header_libs vmbus_c)
endif()
foreach(_lib IN LISTS _vmbus_header_libs)
  get_target_property(_dir ${_lib} SOURCE_DIR)
  install(DIRECTORY ${_dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
    FILES_MATCHING PATTERN "*.h")
endforeach()

install(TARGETS ${_vmbus_static_libs} EXPORT vmbusTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET vmbus_c)
  set_target_properties(vmbus_c PROPERTIES EXPORT_NAME c)
  install(TARGETS vmbus_c EXPORT vmbusTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()

# --- The CMake package -----------------------------------------------------
install(EXPORT vmbusTargets NAMESPACE vmbus:: DESTINATION ${VMBUS_INSTALL_CMAKEDIR}
  FILE vmbusTargets.cmake COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vmbusConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install/vmbusConfig.cmake INSTALL_DESTINATION ${VMBUS_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/install/vmbusConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/install/vmbusConfig.cmake ${PROJECT_BINARY_DIR}/install/vmbusConfigVersion.cmake
  DESTINATION ${VMBUS_INSTALL_CMAKEDIR} COMPONENT dev)

# --- Files written at install time (absolute paths under the real prefix) --
# VmbusInstallTime.cmake runs inside `cmake --install`; the values below are
# this configuration's, the prefix is the one installed to.
set(_vmbus_pc_templates vmbus-sdk vmbus-netvsc vmbus-kvp)
if(TARGET vmbus_c)
  list(APPEND _vmbus_pc_templates vmbus-c)
endif()
set(_vmbus_install_time "
set(VMBUS_VERSION \"${PROJECT_VERSION}\")
set(VMBUS_THREAD_LIBS \"${CMAKE_THREAD_LIBS_INIT}\")
set(VMBUS_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
set(VMBUS_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
set(VMBUS_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
set(VMBUS_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(VMBUS_INSTALL_SCRATCH \"${PROJECT_BINARY_DIR}/install/at-install-time\")
set(VMBUS_CPACK_CONFIG \"${PROJECT_BINARY_DIR}/CPackConfig.cmake\")
include(\"${PROJECT_SOURCE_DIR}/cmake/VmbusInstallTime.cmake\")
")
set(_pc_calls "")
foreach(_pc IN LISTS _vmbus_pc_templates)
  string(APPEND _pc_calls
    "vmbus_install_configured(\"${PROJECT_SOURCE_DIR}/cmake/pkgconfig/${_pc}.pc.in\" \"${VMBUS_INSTALL_PKGCONFIGDIR}\")\n")
endforeach()
install(CODE "${_vmbus_install_time}${_pc_calls}" COMPONENT dev)

# --- Programs --------------------------------------------------------------
install(TARGETS vmbus_kvp_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)

if(TARGET vmbusd)
  # vmbusd is a system daemon run by systemd or root: sbin, as Debian's
  # daemons are. vmbusctl is for anyone (the reader socket is 0666).
  install(TARGETS vmbusd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT daemon)
  install(TARGETS vmbusctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
  # The control API for clients in any language (protoc -I <datadir>/vmbus/proto).
  install(FILES ${PROJECT_SOURCE_DIR}/daemon/proto/vmbus/control/v1/control.proto
    DESTINATION ${CMAKE_INSTALL_DATADIR}/vmbus/proto/vmbus/control/v1 COMPONENT daemon)
  install(FILES ${PROJECT_SOURCE_DIR}/daemon/systemd/vmbusd.sysusers
    DESTINATION ${VMBUS_SYSUSERSDIR} RENAME vmbusd.conf COMPONENT daemon)
  # The unit names vmbusd's and the config file's installed paths; the config
  # file goes to the sysconfdir GNUInstallDirs means (/etc for prefix /usr).
  install(CODE "${_vmbus_install_time}
vmbus_install_configured(\"${PROJECT_SOURCE_DIR}/daemon/systemd/vmbusd.service.in\" \"${VMBUS_SYSTEMD_UNITDIR}\")
vmbus_install_sysconf_file(\"${PROJECT_SOURCE_DIR}/daemon/systemd/vmbusd.json\" vmbusd)
" COMPONENT daemon)
endif()

if(TARGET hvsim)
  install(TARGETS hvsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT sim)
  # LD_PRELOAD shims for unmodified uio programs (DPDK's testpmd) on hvsim
  # (docs/dpdk.md): plug-ins, not libraries to link, so out of the linker's path.
  foreach(_shim hvsim_uio_preload hvsim_dpdk_queue_state_fix)
    if(TARGET ${_shim})
      install(TARGETS ${_shim} LIBRARY DESTINATION ${VMBUS_INSTALL_PRIVATELIBDIR} COMPONENT sim)
    endif()
  endforeach()
endif()
