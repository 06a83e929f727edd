# CMake package of libuiza. `cargo cinstall` installs it into
# <prefix>/share/cmake/uiza/, next to the library it describes:
#
#   find_package(uiza 0.3 CONFIG REQUIRED)   # -DCMAKE_PREFIX_PATH=<prefix>
#   target_link_libraries(app PRIVATE uiza::uiza)
#
# uiza::uiza is the shared library with its include directory (uiza.h and
# the C++ wrapper uiza.hpp). When the prefix holds only libuiza.a
# (`cargo cinstall --library-type staticlib`) it is the static library,
# with the system libraries that static linking needs.
#
# The file is static: it finds the library relative to its own location,
# so the prefix can be moved (or staged with --destdir) after installing.

# <prefix>/share/cmake/uiza -> <prefix>
get_filename_component(_uiza_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

find_path(UIZA_INCLUDE_DIR uiza.h
    PATHS "${_uiza_prefix}/include"
    NO_DEFAULT_PATH)
# Shared before static (CMAKE_FIND_LIBRARY_SUFFIXES lists .so first).
find_library(UIZA_LIBRARY uiza
    PATHS "${_uiza_prefix}"
    PATH_SUFFIXES lib lib64 "lib/${CMAKE_LIBRARY_ARCHITECTURE}"
    NO_DEFAULT_PATH)
mark_as_advanced(UIZA_INCLUDE_DIR UIZA_LIBRARY)

if(NOT UIZA_INCLUDE_DIR OR NOT UIZA_LIBRARY)
    set(uiza_FOUND FALSE)
    set(uiza_NOT_FOUND_MESSAGE
        "libuiza or uiza.h is missing under ${_uiza_prefix} (was it installed with a custom --libdir or --includedir?)")
    return()
endif()

if(NOT TARGET uiza::uiza)
    if(UIZA_LIBRARY MATCHES "\\.a$")
        add_library(uiza::uiza STATIC IMPORTED)
        # rustc --print native-static-libs; README.md lists the same, and
        # tests/install.rs checks both.
        set(_uiza_static_system_libs gcc_s util rt pthread m dl c)
        set_target_properties(uiza::uiza PROPERTIES
            INTERFACE_LINK_LIBRARIES "${_uiza_static_system_libs}")
    else()
        add_library(uiza::uiza SHARED IMPORTED)
    endif()
    set_target_properties(uiza::uiza PROPERTIES
        IMPORTED_LOCATION "${UIZA_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${UIZA_INCLUDE_DIR}")
endif()

unset(_uiza_prefix)
unset(_uiza_static_system_libs)
