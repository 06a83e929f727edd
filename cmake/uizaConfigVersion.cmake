# Version of the CMake package of libuiza; equals Cargo.toml's version
# (tests/install.rs checks it).
set(PACKAGE_VERSION "0.3.0")

# While the major version is 0, a new minor version may break the API (the
# soname libuiza.so.0.3 says the same); from 1.0 on, the major version
# decides. A request for a newer version than this is never satisfied.
if(NOT PACKAGE_FIND_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
    string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _uiza_have "${PACKAGE_VERSION}")
    set(_uiza_have_major "${CMAKE_MATCH_1}")
    set(_uiza_have_minor "${CMAKE_MATCH_2}")
    if(NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL _uiza_have_major)
        set(PACKAGE_VERSION_COMPATIBLE FALSE)
    elseif(_uiza_have_major STREQUAL "0"
           AND PACKAGE_FIND_VERSION_COUNT GREATER 1
           AND NOT PACKAGE_FIND_VERSION_MINOR STREQUAL _uiza_have_minor)
        set(PACKAGE_VERSION_COMPATIBLE FALSE)
    else()
        set(PACKAGE_VERSION_COMPATIBLE TRUE)
        if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
            set(PACKAGE_VERSION_EXACT TRUE)
        endif()
    endif()
    unset(_uiza_have)
    unset(_uiza_have_major)
    unset(_uiza_have_minor)
endif()
