# Debian package (issue 6): `cpack -G DEB` in the build directory gives accessioner_<version>_<arch>.deb
# with the binary, the systemd unit, the /etc configuration (as conffiles), the docs and the
# maintainer scripts. Included from the top-level CMakeLists.txt; tests/packaging checks the result.
#
# Paths outside the prefix are absolute on purpose: the unit and /etc do not move with
# CMAKE_INSTALL_PREFIX (a .deb always installs the binary under /usr, CPACK_PACKAGING_INSTALL_PREFIX).

set(ACC_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

# The binary itself: install(TARGETS accessioner ...) in router/CMakeLists.txt (bin/).
install(FILES ${ACC_PACKAGING_DIR}/accessioner.service DESTINATION /lib/systemd/system)
install(FILES ${ACC_PACKAGING_DIR}/accessioner.toml DESTINATION /etc/accessioner)
# The example rule file routes to destinations a fresh configuration does not have; installed
# under a name the default glob (rules.d/*.toml) does not match, so it documents without acting.
install(FILES ${ACC_PACKAGING_DIR}/rules.d/10-example.toml
        DESTINATION /etc/accessioner/rules.d RENAME 10-example.toml.example)
install(FILES ${CMAKE_SOURCE_DIR}/README.md
              ${CMAKE_SOURCE_DIR}/docs/architecture.md
              ${CMAKE_SOURCE_DIR}/docs/configuration.md
              ${CMAKE_SOURCE_DIR}/docs/matching.md
              ${CMAKE_SOURCE_DIR}/docs/rules.md
              ${CMAKE_SOURCE_DIR}/docs/operations.md
        DESTINATION share/doc/accessioner)
install(FILES ${ACC_PACKAGING_DIR}/accessioner.example.toml
              ${ACC_PACKAGING_DIR}/alerts.yml
        DESTINATION share/doc/accessioner/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME accessioner)
set(CPACK_PACKAGE_VENDOR "Accessioner")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "DICOM store-and-forward router that stamps accession numbers from a worklist")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "DICOM store-and-forward router that stamps accession numbers from a worklist
Accessioner receives images by C-STORE from modalities that cannot query a
Modality Worklist, commits each one durably (RocksDB) before acknowledging it,
stamps the Accession Number from a cached RIS worklist, and forwards every
instance to one or more PACS with retries until it is delivered.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Accessioner maintainers <accessioner@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # accessioner_0.1.0_amd64.deb
# Library dependencies come from dpkg-shlibdeps on the binary (libdcmtk17, librocksdb7.8, ...),
# so they follow whatever the build linked. adduser is what postinst calls.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# Debug info makes the binary ~90 MB; the package ships it stripped.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ACC_PACKAGING_DIR}/deb/conffiles
    ${ACC_PACKAGING_DIR}/deb/postinst
    ${ACC_PACKAGING_DIR}/deb/prerm
    ${ACC_PACKAGING_DIR}/deb/postrm)
# Maintainer scripts 0755, conffiles 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Whole-project install only (no components): one package.
include(CPack)
