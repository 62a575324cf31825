# Runs inside `cmake --install` (install(CODE) in cmake/VmbusInstall.cmake),
# where CMAKE_INSTALL_PREFIX is the prefix really installed to (--prefix
# included). Writes the files that name absolute paths: the pkg-config files
# and vmbusd's systemd unit, and installs vmbusd's config file into the
# sysconfdir that prefix means. The caller sets VMBUS_VERSION,
# VMBUS_THREAD_LIBS, VMBUS_LIBDIR, VMBUS_INCLUDEDIR, VMBUS_SBINDIR,
# VMBUS_SYSCONFDIR (GNUInstallDirs' values, relative or absolute) and
# VMBUS_INSTALL_SCRATCH (a build-tree directory for the configured copies).
string(REGEX REPLACE "(.)/+$" "\\1" VMBUS_PREFIX "${CMAKE_INSTALL_PREFIX}")

# Where the files live at run time, when that is not where they are written.
# cpack without CPACK_SET_DESTDIR installs with CMAKE_INSTALL_PREFIX set to a
# staging directory that ends in CPACK_PACKAGING_INSTALL_PREFIX (/usr for a
# .deb), and no DESTDIR: the files must name /usr, not the staging directory,
# and an absolute destination such as /etc goes under the staging root.
# VMBUS_PACKAGING_PREFIX may also be given (CPACK_CUSTOM_INSTALL_VARIABLES);
# otherwise, under cpack, it is read from the build's CPackConfig.cmake.
get_property(_vmbus_role GLOBAL PROPERTY CMAKE_ROLE)
if(NOT DEFINED VMBUS_PACKAGING_PREFIX AND _vmbus_role STREQUAL "CPACK" AND "$ENV{DESTDIR}" STREQUAL ""
   AND EXISTS "${VMBUS_CPACK_CONFIG}")
  function(_vmbus_read_packaging_prefix)
    include("${VMBUS_CPACK_CONFIG}")
    if(CPACK_PACKAGING_INSTALL_PREFIX AND NOT CPACK_SET_DESTDIR)
      set(VMBUS_PACKAGING_PREFIX "${CPACK_PACKAGING_INSTALL_PREFIX}" PARENT_SCOPE)
    endif()
  endfunction()
  _vmbus_read_packaging_prefix()
endif()
set(VMBUS_STAGE "")  # prepended to absolute destinations
if(DEFINED VMBUS_PACKAGING_PREFIX AND NOT VMBUS_PACKAGING_PREFIX STREQUAL "")
  string(REGEX REPLACE "(.)/+$" "\\1" _vmbus_pp "${VMBUS_PACKAGING_PREFIX}")
  string(LENGTH "${VMBUS_PREFIX}" _vmbus_len)
  string(LENGTH "${_vmbus_pp}" _vmbus_pp_len)
  math(EXPR _vmbus_stage_len "${_vmbus_len} - ${_vmbus_pp_len}")
  if(_vmbus_stage_len GREATER_EQUAL 0)
    string(SUBSTRING "${VMBUS_PREFIX}" ${_vmbus_stage_len} -1 _vmbus_tail)
  endif()
  if(_vmbus_stage_len LESS 0 OR NOT _vmbus_tail STREQUAL _vmbus_pp)
    message(FATAL_ERROR "VMBUS_PACKAGING_PREFIX ${_vmbus_pp} does not end the install prefix ${VMBUS_PREFIX}")
  endif()
  string(SUBSTRING "${VMBUS_PREFIX}" 0 ${_vmbus_stage_len} VMBUS_STAGE)
  set(VMBUS_PREFIX "${_vmbus_pp}")
endif()

# <out> = <dir> made absolute under the prefix (an absolute <dir> stays).
function(vmbus_install_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${VMBUS_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

# pkg-config style: ${prefix}/<dir> when under the prefix.
function(vmbus_pc_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

# GNUInstallDirs' rule for the sysconfdir: /etc for the prefixes / and /usr,
# /etc/opt/<name> for /opt/<name>, <prefix>/etc otherwise.
if(IS_ABSOLUTE "${VMBUS_SYSCONFDIR}")
  set(VMBUS_FULL_SYSCONFDIR "${VMBUS_SYSCONFDIR}")
elseif(VMBUS_PREFIX MATCHES "^/usr$" OR VMBUS_PREFIX STREQUAL "/")
  set(VMBUS_FULL_SYSCONFDIR "/${VMBUS_SYSCONFDIR}")
elseif(VMBUS_PREFIX MATCHES "^/opt/(.*)")
  set(VMBUS_FULL_SYSCONFDIR "/${VMBUS_SYSCONFDIR}/opt/${CMAKE_MATCH_1}")
else()
  set(VMBUS_FULL_SYSCONFDIR "${VMBUS_PREFIX}/${VMBUS_SYSCONFDIR}")
endif()

# What the templates name (@VAR@).
if(VMBUS_THREAD_LIBS)
  set(VMBUS_THREAD_LIBS " ${VMBUS_THREAD_LIBS}")  # after -lvmbus_sdk
endif()
vmbus_pc_dir(VMBUS_PC_LIBDIR "${VMBUS_LIBDIR}")
vmbus_pc_dir(VMBUS_PC_INCLUDEDIR "${VMBUS_INCLUDEDIR}")
vmbus_install_dir(_sbindir "${VMBUS_SBINDIR}")
set(VMBUSD_PROGRAM "${_sbindir}/vmbusd")
set(VMBUSD_CONFIG "${VMBUS_FULL_SYSCONFDIR}/vmbusd/vmbusd.json")

# Configures <template> (name.in -> name, @VAR@ only) and installs it into
# <destination> (relative: under the prefix). file(INSTALL) applies DESTDIR,
# prints "-- Installing:" and records the file in install_manifest.txt.
function(vmbus_install_configured template destination)
  vmbus_install_dir(destination "${destination}")
  set(destination "${VMBUS_STAGE}${destination}")
  get_filename_component(name "${template}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  # One scratch directory per destination, so installs to two prefixes at once do not mix.
  string(MD5 key "$ENV{DESTDIR}${VMBUS_PREFIX}")
  configure_file("${template}" "${VMBUS_INSTALL_SCRATCH}/${key}/${name}" @ONLY)
  file(INSTALL DESTINATION "${destination}" TYPE FILE FILES "${VMBUS_INSTALL_SCRATCH}/${key}/${name}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)  # file(INSTALL) added it here
endfunction()

# Installs <file> into <sysconfdir>/<subdir>.
function(vmbus_install_sysconf_file file subdir)
  file(INSTALL DESTINATION "${VMBUS_STAGE}${VMBUS_FULL_SYSCONFDIR}/${subdir}" TYPE FILE FILES "${file}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()
