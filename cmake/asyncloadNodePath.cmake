# asyncloadNodePath.cmake — warns, once per build folder, when an optimised em++ link would fail
# with "Cannot find module 'acorn'". Debian's emscripten runs node for a Release link's JS
# optimizer, and a node that is not Debian's (nodesource, nvm, ...) finds Debian's acorn
# (/usr/share/nodejs) only through NODE_PATH, which must be in the environment of the build
# itself (a CMake setting cannot reach it). Included by the web build and by the web package's
# config (docs/web.md, "NODE_PATH").
if(NOT DEFINED ENV{NODE_PATH} AND EXISTS /usr/share/nodejs/acorn AND NOT ASYNCLOAD_NODE_CHECKED)
  set(ASYNCLOAD_NODE_CHECKED ON CACHE INTERNAL "the acorn check of asyncloadNodePath.cmake ran")
  find_program(ASYNCLOAD_NODE node)
  if(ASYNCLOAD_NODE)
    execute_process(COMMAND ${ASYNCLOAD_NODE} -e "require('acorn')" RESULT_VARIABLE _asyncload_acorn
                    OUTPUT_QUIET ERROR_QUIET)
    if(NOT _asyncload_acorn EQUAL 0)
      message(WARNING "asyncload: ${ASYNCLOAD_NODE} cannot load acorn, which an optimised (Release) "
                      "em++ link needs: build with NODE_PATH=/usr/share/nodejs in the environment, "
                      "for example `NODE_PATH=/usr/share/nodejs cmake --build build` (docs/web.md)")
    endif()
  endif()
endif()
