# Writes DST with SOMNUS_VERSION "<VERSION>+<git commit>[-dirty]" only when it changes.
execute_process(COMMAND git -C ${SRC} describe --always --dirty --abbrev=10
  OUTPUT_VARIABLE GIT_REV OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR GIT_REV STREQUAL "")
  set(GIT_REV "unknown")
endif()
set(content "#define SOMNUS_VERSION \"${VERSION}+${GIT_REV}\"\n")
if(EXISTS ${DST})
  file(READ ${DST} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${DST} "${content}")
endif()
